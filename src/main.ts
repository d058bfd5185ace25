import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  // rawBody: signatures are computed over the exact bytes Netcore sent.
  // Production: no per-request verbose/debug lines (one per webhook is costly at thousands per second).
  const logger = process.env.NODE_ENV === 'production' ? (['fatal', 'error', 'warn', 'log'] as const) : undefined;
  const app = await NestFactory.create(AppModule, { rawBody: true, ...(logger && { logger: [...logger] }) });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  new Logger('DemoApp').log(`Receiving Netcore webhooks on http://localhost:${port}/webhooks/netcore`);
}

void bootstrap();
