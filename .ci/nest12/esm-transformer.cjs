'use strict';
// ts-jest in ESM mode, plus the CommonJS names the specs use: jest loads Nest 12 (ESM only) solely in its ESM
// mode, where `__dirname`, `__filename`, `require` and the `jest` object are not defined. They are declared on
// the file's first line from `import.meta` (which jest fills), so line numbers stay true. Only the names a
// file uses and does not declare itself are added.
const { TsJestTransformer } = require('ts-jest');

const SHIMS = [
  [/\b__dirname\b/, 'const __dirname = import.meta.dirname;'],
  [/\b__filename\b/, 'const __filename = import.meta.filename;'],
  [/\brequire(\.resolve)?\(/, "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"],
  [/\bjest\./, 'const jest = import.meta.jest;'],
];
const declares = (source, name) => new RegExp(`\\b(const|let|var|function|import)\\s+(\\{[^}]*\\b)?${name}\\b`).test(source);

class CommonJsNamesInEsm extends TsJestTransformer {
  process(source, path, options) {
    return super.process(this.shim(source, path), path, options);
  }
  async processAsync(source, path, options) {
    return super.processAsync(this.shim(source, path), path, options);
  }
  getCacheKey(source, path, options) {
    return super.getCacheKey(this.shim(source, path), path, options);
  }
  async getCacheKeyAsync(source, path, options) {
    return super.getCacheKeyAsync(this.shim(source, path), path, options);
  }
  shim(source, path) {
    if (!path.endsWith('.ts')) return source;
    const names = ['__dirname', '__filename', 'require', 'jest'];
    const prefix = SHIMS.filter(([uses], i) => uses.test(source) && !declares(source, names[i])).map(([, line]) => line);
    return prefix.length ? `${prefix.join(' ')} ${source}` : source;
  }
}

module.exports = { createTransformer: (config) => new CommonJsNamesInEsm(config) };
