import { type DataSource, In } from 'typeorm';
import { NetcoreInboxService } from '../src';
import { buildWebhookPayload } from '../src/testing';
import { FaultPlan } from './fixtures/reliability/fault-plan';
import { FIXTURE_LEDGER } from './fixtures/reliability/ledger.entities';
import { LEDGER_PROVIDERS } from './fixtures/reliability/ledger.listener';
import { buildTraffic, expectedStatuses, tables } from './support/reliability';
import { openDatabase } from './support/open-database';
import { TcpProxy } from './support/tcp-proxy';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES, createTestDatabase, type DatabaseKind, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';
import { processedEvents } from './support/inbox-rows';

jest.setTimeout(90_000);

/** Makes the database unavailable to the app and back: a proxy cut (PostgreSQL), a writer's lock (SQLite). */
interface Outage {
  database: Record<string, unknown>;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** Releases what the outage itself holds (the proxy's listening socket). */
  dispose(): Promise<void>;
}

async function outageFor(kind: DatabaseKind, db: TestDatabase): Promise<Outage> {
  const options = db.options as { url?: string; database?: string };
  if (kind === 'postgres') {
    const url = new URL(options.url!);
    const proxy = await new TcpProxy(url.hostname, Number(url.port)).start();
    url.port = String(proxy.port);
    return {
      database: { url: url.toString() },
      begin: () => proxy.cut(),
      end: async () => void (await proxy.restore()),
      dispose: () => proxy.cut(),
    };
  }
  // Another connection's exclusive write transaction: every write of the app is refused once its busy timeout ends.
  let locker: DataSource | null = null;
  return {
    database: { timeout: 100 },
    begin: async () => {
      locker = await openDatabase(db);
      await locker.query('BEGIN EXCLUSIVE');
    },
    end: async () => {
      if (!locker) return;
      await locker.query('COMMIT');
      await locker.destroy();
      locker = null;
    },
    dispose: async () => undefined,
  };
}

describe.each(DATABASES)('database unavailable (%s)', (kind) => {
  let db: TestDatabase;
  let outage: Outage;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    outage = await outageFor(kind, db);
    t = await startHostApp(
      kind,
      {
        providers: LEDGER_PROVIDERS,
        webhooks: { retry: { maxAttempts: 50, baseDelayMs: 20, maxDelayMs: 200 }, recovery: { sweepIntervalMs: 50, leaseMs: 500 } },
      },
      // The outage is logged as errors: kept, not printed.
      { db, ...FIXTURE_LEDGER, database: outage.database, logger: new CapturingLogger() },
    );
  });
  afterAll(async () => {
    await outage?.end();
    await t?.close();
    await outage?.dispose();
    await db?.drop();
  });

  it('answers 503 while it is down, acknowledges nothing, and loses nothing once it is back', async () => {
    const faults = t.app.get(FaultPlan);
    const { items, billable } = buildTraffic(12, 'outage');
    const before = items.slice(0, 10);
    const inFlight = items.slice(10, 20);
    const during = items.slice(20);

    await postSigned(t.app, buildWebhookPayload(...before)).expect(200, { accepted: 10, duplicates: 0, rejected: 0 });
    await t.settle();
    // Stored and acknowledged, its listeners still running when the database goes away.
    const release = faults.hold();
    await postSigned(t.app, buildWebhookPayload(...inFlight)).expect(200, { accepted: 10, duplicates: 0, rejected: 0 });
    await outage.begin();
    release();
    await t.settle();

    for (let i = 0; i < 3; i++) {
      const res = await postSigned(t.app, buildWebhookPayload(...during)).expect(503);
      expect(res.body.message).toBe('Webhook storage is unavailable; retry later');
    }

    await outage.end();
    // Nothing of the refused batch was kept: Netcore's retry is accepted as new, not as a duplicate.
    await postSigned(t.app, buildWebhookPayload(...during)).expect(200, { accepted: during.length, duplicates: 0, rejected: 0 });

    const { inbox, effects, charges, messages } = tables(t.app);
    const ids = [...new Set(items.map((i) => i.ncmessage_id))];
    await waitFor('every event processed after the outage', async () => (await processedEvents(t.app, { ncmessageId: In(ids) })) === items.length);
    expect(await inbox.countBy({ ncmessageId: In(ids) })).toBe(items.length);
    const done = await effects.findBy({ ncmessageId: In(ids) });
    expect(done).toHaveLength(items.length);
    expect(new Set((await charges.findBy({ ncmessageId: In(ids) })).map((c) => c.ncmessageId))).toEqual(billable);
    for (const [id, status] of expectedStatuses(items)) {
      expect({ id, status: (await messages.findOne(id))?.status }).toEqual({ id, status });
    }
    const stats = await t.app.get(NetcoreInboxService).stats();
    expect(stats).toMatchObject({ pending: 0, failed: 0, dead: 0 });
  });
});
