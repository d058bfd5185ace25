import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** App-level setup of the demo host app, shared by main.ts and its e2e test: OpenAPI docs at /docs (JSON at /docs-json). */
export function setupDemoApp(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('netcore-webhooks demo')
    .setDescription('Receives Netcore message-delivery webhooks')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
}
