import { Injectable, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { NetcoreWebhookEvent, NetcoreWebhooksModule, type NetcoreWebhooksOptions } from '../src';
import { NETCORE_SAMPLE_PAYLOADS, buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { TEST_SECRET, postSigned } from './support/webhook-client';
import { storedEvent } from './support/inbox-rows';

async function bootError(db: TestDatabase, webhooks: unknown, withEmitter = true): Promise<string> {
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...db.options, manualInitialization: true }),
        ...(withEmitter ? [EventEmitterModule.forRoot()] : []),
        NetcoreWebhooksModule.forRoot(webhooks as NetcoreWebhooksOptions),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.init();
    await app.close();
  } catch (error) {
    return String((error as Error).message);
  }
  throw new Error('expected the app to refuse to start');
}

describe.each(DATABASES)('module configuration (%s)', (kind) => {
  describe('refusing to start', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase(kind);
    });
    afterAll(() => db?.drop());

    it('refuses to start without verification, naming the option to set', async () => {
      expect(await bootError(db, {})).toMatch(/'verification' option is required.*scheme: 'none'/);
    });

    it('refuses to start with an empty secrets list', async () => {
      expect(await bootError(db, { verification: { scheme: 'hmac', secrets: [] } })).toMatch(/'verification.secrets' must list at least one secret/);
    });

    it('refuses to start when the secret is an empty string (an unset environment variable)', async () => {
      expect(await bootError(db, { verification: { scheme: 'hmac', secrets: [process.env.SURELY_NOT_SET ?? ''] } })).toMatch(
        /'verification.secrets\[0\]' is empty/,
      );
    });

    it('refuses an unknown scheme and a bad maxBatchSize', async () => {
      expect(await bootError(db, { verification: { scheme: 'magic' } })).toMatch(/unknown 'verification.scheme' "magic"/);
      expect(await bootError(db, { verification: { scheme: 'none' }, maxBatchSize: 0 })).toMatch(/'maxBatchSize' must be a positive integer/);
    });

    it('refuses to start without EventEmitterModule.forRoot(), saying so', async () => {
      expect(await bootError(db, { verification: { scheme: 'none' } }, false)).toMatch(/EventEmitterModule\.forRoot\(\)/);
    });

    it('never puts a secret in a start-up error', async () => {
      const message = await bootError(db, { verification: { scheme: 'hmac', secrets: ['top-secret-value', ''] } });
      expect(message).toMatch(/secrets\[1\]/);
      expect(message).not.toContain('top-secret-value');
    });
  });

  it("accepts unsigned requests only when the host opted out with scheme 'none'", async () => {
    const t = await startHostApp(kind, { webhooks: { verification: { scheme: 'none' } } });
    try {
      await request(t.app.getHttpServer())
        .post('/webhooks/netcore')
        .set('content-type', 'application/json')
        .send(JSON.stringify(NETCORE_SAMPLE_PAYLOADS.read))
        .expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
    } finally {
      await t.close();
    }
  });

  it('mounts the route at a custom path', async () => {
    const t = await startHostApp(kind, { path: 'hooks/nc' });
    try {
      await postSigned(t.app, NETCORE_SAMPLE_PAYLOADS.sent, TEST_SECRET, '/hooks/nc').expect(200);
      await postSigned(t.app, NETCORE_SAMPLE_PAYLOADS.sent).expect(404);
    } finally {
      await t.close();
    }
  });

  it("answers 503 and acknowledges nothing when the database is unavailable", async () => {
    // The outage is on purpose: its ERROR lines are captured, not printed.
    const t = await startHostApp(kind, {}, { logger: new CapturingLogger() });
    const dataSource = t.app.get(DataSource);
    const item = buildDeliveryStatus();
    await dataSource.destroy();
    try {
      const res = await postSigned(t.app, buildWebhookPayload(item)).expect(503);
      expect(res.body.message).toMatch(/retry later/);
      expect(t.recorder.received).toHaveLength(0);
      await dataSource.initialize();
      expect(await dataSource.getRepository(NetcoreWebhookEvent).countBy({ ncmessageId: item.ncmessage_id })).toBe(0);
      await postSigned(t.app, buildWebhookPayload(item)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
    } finally {
      if (!dataSource.isInitialized) await dataSource.initialize();
      await t.close();
    }
  });

  it("with processing: 'inline', has run every listener before it answers", async () => {
    const t = await startHostApp(kind, { webhooks: { processing: 'inline' } });
    try {
      const item = buildDeliveryStatus({ status: 'read' });
      await postSigned(t.app, buildWebhookPayload(item)).expect(200);
      expect(t.recorder.names()).toEqual(['message.read']);
      expect(await storedEvent(t.app, { ncmessageId: item.ncmessage_id })).toMatchObject({ state: 'processed' });
    } finally {
      await t.close();
    }
  });

  it('accepts options from forRootAsync with useClass', async () => {
    @Injectable()
    class WebhookOptionsFactory {
      create(): NetcoreWebhooksOptions {
        return { verification: { scheme: 'hmac', secrets: ['rotated-new', TEST_SECRET] } };
      }
    }
    @Module({ providers: [WebhookOptionsFactory], exports: [WebhookOptionsFactory] })
    class OptionsModule {}

    const db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        EventEmitterModule.forRoot(),
        NetcoreWebhooksModule.forRootAsync({ imports: [OptionsModule], useClass: WebhookOptionsFactory }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.init();
    try {
      await postSigned(app, NETCORE_SAMPLE_PAYLOADS.delivered, TEST_SECRET).expect(200);
      await postSigned(app, NETCORE_SAMPLE_PAYLOADS.sent, 'rotated-new').expect(200);
      await postSigned(app, NETCORE_SAMPLE_PAYLOADS.failed, 'old-and-gone').expect(401);
    } finally {
      await app.close();
      await db.drop();
    }
  });
});
