import { In } from 'typeorm';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { FaultPlan } from './fixtures/reliability/fault-plan';
import { FIXTURE_LEDGER } from './fixtures/reliability/ledger.entities';
import { LEDGER_PROVIDERS } from './fixtures/reliability/ledger.listener';
import { batches, buildTraffic, expectedStatuses, tables } from './support/reliability';
import { startHostApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';
import { processedEvents } from './support/inbox-rows';

jest.setTimeout(90_000);

// Several instances share one database only on PostgreSQL (SQLite is the single-instance set-up).
const describeOnPostgres = process.env.NETCORE_TEST_POSTGRES_URL ? describe : describe.skip;

describeOnPostgres('two instances on one PostgreSQL', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const webhooks = {
    retry: { maxAttempts: 30, baseDelayMs: 5, maxDelayMs: 40 },
    // Aggressive sweeps on both, so they compete with each other and with the requests for every row.
    recovery: { sweepIntervalMs: 10, leaseMs: 30_000, batchSize: 5 },
  };
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = await startHostApp('postgres', { providers: LEDGER_PROVIDERS, webhooks }, { db, ...FIXTURE_LEDGER });
    b = await startHostApp('postgres', { providers: LEDGER_PROVIDERS, webhooks }, { db, ...FIXTURE_LEDGER });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  async function sendEverywhere(items: NetcoreDeliveryStatusItem[]) {
    // Every batch to both instances at once (Netcore retrying against another instance), plus the
    // same events again regrouped in other batches, interleaved.
    const same = batches(items, 6).flatMap((batch) => [postSigned(a.app, buildWebhookPayload(...batch)), postSigned(b.app, buildWebhookPayload(...batch))]);
    const regrouped = batches([...items].reverse(), 9).map((batch, i) => postSigned((i % 2 ? a : b).app, buildWebhookPayload(...batch)));
    const responses = await Promise.all([...same, ...regrouped]);
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    return responses.reduce((n, r) => n + r.body.accepted, 0);
  }

  it('stores one inbox row per event, runs each listener once per event, charges once per billable message', async () => {
    const { items, billable } = buildTraffic(40, 'two');
    expect(await sendEverywhere(items)).toBe(items.length);
    const { inbox, effects, charges, messages } = tables(a.app);
    const ids = [...new Set(items.map((i) => i.ncmessage_id))];
    await waitFor('both instances to finish', async () => (await processedEvents(a.app, { ncmessageId: In(ids) })) === items.length);
    await Promise.all([a.settle(), b.settle()]);
    expect(await inbox.countBy({ ncmessageId: In(ids) })).toBe(items.length);
    const done = await effects.findBy({ ncmessageId: In(ids) });
    expect(done).toHaveLength(items.length);
    expect(done.filter((e) => e.deliveries !== 1)).toEqual([]);
    expect(new Set((await charges.findBy({ ncmessageId: In(ids) })).map((c) => c.ncmessageId))).toEqual(billable);
    for (const [id, status] of expectedStatuses(items)) {
      expect({ id, status: (await messages.findOne(id))?.status }).toEqual({ id, status });
    }
  });

  it('still ends exact when the listener fails at random on both instances (retries taken by either)', async () => {
    a.app.get(FaultPlan).failureRate = 0.3;
    b.app.get(FaultPlan).failureRate = 0.3;
    const { items, billable } = buildTraffic(30, 'two-flaky');
    expect(await sendEverywhere(items)).toBe(items.length);
    const { effects, charges } = tables(a.app);
    const ids = [...new Set(items.map((i) => i.ncmessage_id))];
    await waitFor('both instances to finish', async () => (await processedEvents(a.app, { ncmessageId: In(ids) })) === items.length);
    await Promise.all([a.settle(), b.settle()]);
    // Some listener calls failed and were retried (by either instance).
    expect(a.app.get(FaultPlan).calls + b.app.get(FaultPlan).calls).toBeGreaterThan(items.length);
    const done = await effects.findBy({ ncmessageId: In(ids) });
    expect(done).toHaveLength(items.length);
    expect(done.filter((e) => e.deliveries !== 1)).toEqual([]);
    expect(new Set((await charges.findBy({ ncmessageId: In(ids) })).map((c) => c.ncmessageId))).toEqual(billable);
  });
});
