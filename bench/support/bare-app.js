'use strict';
// The reference point: a Nest app on the same adapter and options whose POST answers 200 without work.
require('reflect-metadata');
const { Controller, Post, HttpCode, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

class BareController {
  receive() {
    return { accepted: 0, duplicates: 0, rejected: 0 };
  }
}
Controller('webhooks/netcore')(BareController);
const descriptor = { value: BareController.prototype.receive, writable: true, configurable: true };
Post()(BareController.prototype, 'receive', descriptor);
HttpCode(200)(BareController.prototype, 'receive', descriptor);

class BareModule {}
Module({ controllers: [BareController] })(BareModule);

async function main() {
  const options = { rawBody: true, logger: ['error', 'warn'] };
  // The same platform and body limit as the demo app (src/demo/create-demo-app.ts).
  const limit = 1024 * 1024;
  let app;
  if (process.env.HTTP_ADAPTER === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    app = await NestFactory.create(BareModule, new FastifyAdapter({ bodyLimit: limit }), options);
  } else {
    app = await NestFactory.create(BareModule, options);
    app.useBodyParser('json', { limit });
  }
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.send?.('listening');
}
void main();
