import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { collectDefaultMetrics } from 'prom-client';
import { AppModule } from './app.module';
import { setupDemoApp } from './demo/setup-demo-app';

async function bootstrap(): Promise<void> {
  // rawBody: signatures are computed over the exact bytes Netcore sent.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { rawBody: true });
  // Nest's JSON parser stops at 100 kB; the module enforces its own maxBodyBytes (1 MiB) on its route.
  app.useBodyParser('json', { limit: '1mb' });
  app.enableShutdownHooks();
  collectDefaultMetrics(); // process metrics next to the module's, on GET /metrics
  setupDemoApp(app);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  const logger = new Logger('DemoApp');
  logger.log(`Receiving Netcore webhooks on http://localhost:${port}/webhooks/netcore`);
  logger.log(`Docs http://localhost:${port}/docs, metrics /metrics, health /health`);
}

void bootstrap();
