import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { AppModule } from './app.module';
import { createDemoApp, demoHttpAdapter } from './demo/create-demo-app';
import { demoLogLevels } from './demo/demo-log-levels';

async function bootstrap(): Promise<void> {
  const adapter = demoHttpAdapter();
  const app = await createDemoApp(AppModule, adapter, { logger: demoLogLevels() });
  collectDefaultMetrics(); // process metrics next to the module's, on GET /metrics
  const port = Number(process.env.PORT ?? 3000);
  // Fastify listens on 127.0.0.1 unless told otherwise; Express on every interface.
  if (adapter === 'fastify') await app.listen(port, '0.0.0.0');
  else await app.listen(port);
  const logger = new Logger('DemoApp');
  logger.log(`Receiving Netcore webhooks on http://localhost:${port}/webhooks/netcore (${adapter})`);
  logger.log(`Docs http://localhost:${port}/docs, metrics /metrics, health /health`);
}

void bootstrap();
