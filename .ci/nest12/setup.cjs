'use strict';
// Fails the run early if the specs would not load the Nest 12 packages (say, .ci/nest12 was not installed),
// and tells specs that build host apps where those packages are (NETCORE_TEST_NEST_MODULES).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

for (const name of ['@nestjs/common', '@nestjs/core']) {
  const entry = require.resolve(name);
  const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}`.length);
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  if (!version.startsWith('12.')) throw new Error(`${name} resolved to ${version} at ${root}: run npm ci --prefix .ci/nest12`);
}
process.env.NETCORE_TEST_NEST_MODULES = join(__dirname, 'node_modules');
