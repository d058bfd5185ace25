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
  const app = await NestFactory.create(BareModule, { rawBody: true, logger: ['error', 'warn'] });
  await app.listen(Number(process.env.PORT));
  process.send?.('listening');
}
void main();
