import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  // rawBody: signatures are computed over the exact bytes Netcore sent.
  // Production: no per-request verbose/debug lines (one per webhook is costly at thousands per second).
  const logger = process.env.NODE_ENV === 'production' ? (['fatal', 'error', 'warn', 'log'] as const) : undefined;
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { rawBody: true, ...(logger && { logger: [...logger] }) });
  // Nest's JSON parser stops at 100 kB; the module enforces its own maxBodyBytes (1 MiB) on its route.
  app.useBodyParser('json', { limit: '1mb' });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  new Logger('DemoApp').log(`Receiving Netcore webhooks on http://localhost:${port}/webhooks/netcore`);
}

void bootstrap();
