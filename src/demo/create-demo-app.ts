import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { setupDemoApp } from './setup-demo-app';

export type DemoHttpAdapter = 'express' | 'fastify';

/** The module's own route limit (`maxBodyBytes`); each platform's JSON parser must let such bodies through. */
const BODY_LIMIT = 1024 * 1024;

/** `HTTP_ADAPTER`: `express` (default) or `fastify`; anything else is refused by name. */
export function demoHttpAdapter(env: NodeJS.ProcessEnv = process.env): DemoHttpAdapter {
  const value = env.HTTP_ADAPTER || 'express';
  if (value !== 'express' && value !== 'fastify') throw new Error(`HTTP_ADAPTER must be "express" or "fastify", got "${value}"`);
  return value;
}

/**
 * The demo host app on the chosen platform, with `rawBody` (signatures are computed over the exact bytes
 * Netcore sent).
 */
export async function createDemoApp(
  module: Parameters<typeof NestFactory.create>[0],
  adapter: DemoHttpAdapter,
  options: Omit<NestApplicationOptions, 'rawBody'> = {},
): Promise<INestApplication> {
  let app: INestApplication;
  if (adapter === 'fastify') {
    app = await NestFactory.create(module, new FastifyAdapter({ bodyLimit: BODY_LIMIT }), { ...options, rawBody: true });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, { ...options, rawBody: true });
    // Nest's JSON parser stops at 100 kB.
    express.useBodyParser('json', { limit: BODY_LIMIT });
    app = express;
  }
  app.enableShutdownHooks();
  setupDemoApp(app);
  return app;
}
