/**
 * The e2e suites again, against the Nest 12 packages installed in .ci/nest12 (npm ci --prefix .ci/nest12).
 * Nest 12 is ESM only, which jest's CommonJS loader cannot load, so this run uses jest's ESM mode
 * (NODE_OPTIONS=--experimental-vm-modules): see docs/development.md.
 */
const base = require('./jest.config.js');

/** ESM-only packages that CommonJS packages require() (see .ci/nest12/esm-to-commonjs.cjs). */
const REQUIRED_ESM = ['path-to-regexp', 'cookie', 'set-cookie-parser', 'toad-cache'];

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: base.globalSetup,
  testTimeout: base.testTimeout,
  displayName: 'e2e nest12',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['<rootDir>/.ci/nest12/esm-transformer.cjs', { tsconfig: '.ci/nest12/tsconfig.json', useESM: true }],
    [`/node_modules/(${REQUIRED_ESM.join('|')})/.+\\.js$`]: '<rootDir>/.ci/nest12/esm-to-commonjs.cjs',
  },
  transformIgnorePatterns: [],
  resolver: '<rootDir>/.ci/nest12/resolver.cjs',
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata', '<rootDir>/.ci/nest12/setup.cjs'],
};
