import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { NetcoreWebhooksModule, type NetcoreWebhooksModuleAsyncOptions } from '../src';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { TEST_SECRET, WEBHOOK_PATH } from './support/webhook-client';

const TOKEN = 'admin-token-for-tests-0123456789';
const SUMMARY = `${WEBHOOK_PATH}/analytics/summary?from=2025-12-01&to=2025-12-01`;
const DEAD_LETTERS = `${WEBHOOK_PATH}/dead-letters`;

function openApiPaths(t: TestApp): string[] {
  return Object.keys(SwaggerModule.createDocument(t.app, new DocumentBuilder().build()).paths);
}

describe.each(DATABASES)('admin routes (%s)', (kind) => {
  describe('without admin', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startHostApp(kind);
    });
    afterAll(() => t?.close());

    it('maps no admin route: 404 with a token, and none in the OpenAPI document', async () => {
      await request(t.app.getHttpServer()).get(SUMMARY).set('authorization', `Bearer ${TOKEN}`).expect(404);
      await request(t.app.getHttpServer()).get(DEAD_LETTERS).set('authorization', `Bearer ${TOKEN}`).expect(404);
      expect(openApiPaths(t)).toEqual([WEBHOOK_PATH]);
    });
  });

  describe.each(['forRoot', 'forRootAsync'] as const)('with admin, through %s', (registration) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startHostApp(kind, {
        registration,
        webhooks: { admin: { token: TOKEN } },
        // forRootAsync learns the token at start-up, so the routes are declared with the module.
        extras: registration === 'forRootAsync' ? { adminRoutes: true } : {},
      });
    });
    afterAll(() => t?.close());

    it('maps the admin routes behind the token, and documents them', async () => {
      await request(t.app.getHttpServer()).get(SUMMARY).expect(401);
      await request(t.app.getHttpServer()).get(SUMMARY).set('authorization', `Bearer ${TOKEN}`).expect(200);
      await request(t.app.getHttpServer()).get(DEAD_LETTERS).set('authorization', `Bearer ${TOKEN}`).expect(200);
      expect(openApiPaths(t)).toEqual(expect.arrayContaining([WEBHOOK_PATH, `${WEBHOOK_PATH}/analytics/summary`, `${WEBHOOK_PATH}/analytics/series`, DEAD_LETTERS]));
    });
  });

  describe('refusing to start when the declaration and the options disagree', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase(kind);
    });
    afterAll(() => db?.drop());

    async function bootError(module: NetcoreWebhooksModuleAsyncOptions): Promise<string> {
      try {
        const moduleRef = await Test.createTestingModule({
          imports: [TypeOrmModule.forRoot({ ...db.options, manualInitialization: true }), EventEmitterModule.forRoot(), NetcoreWebhooksModule.forRootAsync(module)],
        }).compile();
        const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
        await app.init();
        await app.close();
      } catch (error) {
        return String((error as Error).message);
      }
      throw new Error('expected the app to refuse to start');
    }

    it('admin from the factory without adminRoutes: names adminRoutes', async () => {
      const message = await bootError({ useFactory: () => ({ verification: { scheme: 'hmac', secrets: [TEST_SECRET] }, admin: { token: TOKEN } }) });
      expect(message).toMatch(/add 'adminRoutes: true' next to useFactory/);
      expect(message).not.toContain(TOKEN);
    });

    it('adminRoutes without admin from the factory: names admin', async () => {
      const message = await bootError({ adminRoutes: true, useFactory: () => ({ verification: { scheme: 'hmac', secrets: [TEST_SECRET] } }) });
      expect(message).toMatch(/no 'admin: \{ token \}'/);
    });
  });
});
