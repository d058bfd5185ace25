'use strict';
// jest's CommonJS runtime cannot load content-disposition 3 (ESM only), which @fastify/static requires for
// Swagger UI on Fastify; Node 20.19+ can, so only the tests need this. Version 1 (CommonJS, express's copy)
// has the same functions: the export itself is v3's `create`.
const v1 = require('../../node_modules/content-disposition');

module.exports = Object.assign((...args) => v1(...args), v1, { create: v1 });
