'use strict';
// Puts the Nest 12 packages of .ci/nest12/node_modules before the repository's Nest 11 ones: a bare import of
// an @nestjs package resolves to the Nest 12 copy from anywhere (specs, library sources, other packages), so
// all share one Nest. Their own dependencies resolve from where they are installed; their peers (typeorm,
// rxjs, reflect-metadata...) are not installed there (.npmrc) and resolve to the repository's copies.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const NEST12 = __dirname;
const MODULES = join(NEST12, 'node_modules');
const installed = new Map();

module.exports = (request, options) => {
  if (request.startsWith('@nestjs/') && !options.basedir.startsWith(MODULES)) {
    const name = request.split('/').slice(0, 2).join('/');
    if (!installed.has(name)) installed.set(name, existsSync(join(MODULES, name, 'package.json')));
    if (installed.get(name)) return options.defaultResolver(request, { ...options, basedir: NEST12 });
  }
  return options.defaultResolver(request, options);
};
