import { TerminusModule } from '@nestjs/terminus';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { NetcoreWebhooksHealthIndicator } from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { FailingListener } from './fixtures/failing.listener';
import { HealthController } from './fixtures/health.controller';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

describe.each(DATABASES)('health indicator with @nestjs/terminus (%s)', (kind) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startHostApp(
      kind,
      { imports: [TerminusModule.forRoot({ logger: false })], controllers: [HealthController], providers: [FailingListener] },
      // A failing listener and a database gone are logged: kept, not printed.
      { logger: new CapturingLogger() },
    );
  });
  afterEach(() => t?.close());

  const health = () => request(t.app.getHttpServer()).get('/health');

  it('answers 200 with the backlog and dead letter counts when all is well', async () => {
    await postSigned(t.app, buildWebhookPayload(buildDeliveryStatus())).expect(200);
    await t.settle();
    const res = await health().expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      info: { netcore_webhooks: { status: 'up', database: 'up', backlog: 0, deadLetters: 0, maxBacklog: 1, maxDeadLetters: 1 } },
    });
  });

  it('answers 503 when more events wait for processing than maxBacklog', async () => {
    const failing = () => buildDeliveryStatus({ status: FailingListener.STATUS });
    await postSigned(t.app, buildWebhookPayload(failing(), failing())).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
    await t.settle();
    const res = await health().expect(503);
    expect(res.body.error.netcore_webhooks).toMatchObject({ status: 'down', database: 'up', backlog: 2 });
    expect(res.body.error.netcore_webhooks.message).toMatch(/2 events wait for processing \(more than 1\)/);
  });

  it('answers 503 when open dead letters exceed maxDeadLetters, and reports them below it', async () => {
    const invalid = () => buildDeliveryStatus({ received_at: `not-a-time-${Math.random()}` });
    await postSigned(t.app, buildWebhookPayload(invalid())).expect(200, { accepted: 0, duplicates: 0, rejected: 1 });
    expect((await health().expect(200)).body.info.netcore_webhooks.deadLetters).toBe(1);
    await postSigned(t.app, buildWebhookPayload(invalid())).expect(200);
    const res = await health().expect(503);
    expect(res.body.error.netcore_webhooks).toMatchObject({ status: 'down', deadLetters: 2 });
  });

  it('answers 503 naming the database when it is unreachable', async () => {
    // Idle first: a transaction in flight when the pool ends never settles (PostgreSQL), and close() would wait for it.
    await t.settle();
    await t.app.get(DataSource).destroy();
    const res = await health().expect(503);
    expect(res.body.error.netcore_webhooks).toMatchObject({ status: 'down', database: 'down' });
    expect(res.body.error.netcore_webhooks.message).toMatch(/^database unreachable/);
  });

  // A table lock held by another session makes PostgreSQL hang the count; SQLite in WAL mode never blocks readers.
  if (kind === 'postgres') {
    it('reports down when the database does not answer within timeoutMs', async () => {
      const locker = new Client({ connectionString: String(t.db.options.type === 'postgres' && t.db.options.url) });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE netcore_inbox_work IN ACCESS EXCLUSIVE MODE');
        const result = await t.app.get(NetcoreWebhooksHealthIndicator).isHealthy('db', { timeoutMs: 200 });
        expect(result.db).toMatchObject({ status: 'down', database: 'down', message: 'database unreachable: no answer within 200 ms' });
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
    });
  }
});
