import { Client } from 'pg';
import { DataSource, In } from 'typeorm';
import { NetcoreInboxService, type NetcoreWebhooksOptions } from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { FaultPlan } from './fixtures/reliability/fault-plan';
import { FIXTURE_LEDGER } from './fixtures/reliability/ledger.entities';
import { LEDGER_PROVIDERS } from './fixtures/reliability/ledger.listener';
import { CapturingLogger } from './support/capturing-logger';
import { inboxRow, insertInboxRows, storedEvents } from './support/inbox-rows';
import { tables } from './support/reliability';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES, createTestDatabase, type DatabaseKind, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Recovery as a host sees it: what the listeners receive, what the inbox's stats say, what the host's ledger
 * holds. Inbox rows written directly are only starting states (a process that acknowledged events and died);
 * nothing here looks at the claim columns.
 */
describe.each(DATABASES)('recovery (%s)', (kind: DatabaseKind) => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const boot = async (webhooks: Partial<NetcoreWebhooksOptions> = {}, logger?: CapturingLogger) => {
    const t = await startHostApp(kind, { providers: LEDGER_PROVIDERS, webhooks }, { db, ...FIXTURE_LEDGER, ...(logger ? { logger } : {}) });
    apps.push(t);
    return t;
  };
  /** The event ids the recording listener of `t` received, in order (duplicates kept). */
  const received = (...ts: TestApp[]) => ts.flatMap((t) => t.recorder.received.map((r) => r.event.eventId));
  const stats = (t: TestApp) => t.app.get(NetcoreInboxService).stats();

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.app.close().catch(() => undefined);
    await db.drop();
  });

  it('processes at start-up the events a previous process acknowledged but never processed', async () => {
    // The first process only creates the schema; its rows are what it left when it died.
    const first = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await first.settle();
    const rows = Array.from({ length: 12 }, () => inboxRow(buildDeliveryStatus({ status: 'delivered' })));
    await insertInboxRows(first.app.get(DataSource), rows);
    await first.app.close();

    // No timer would fire within the test: only the start-up looks for work.
    const second = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    const ids = rows.map((r) => r.id);
    await waitFor('the start-up to process the rows', async () => (await stats(second)).processed === rows.length);
    await second.settle();
    expect(received(second).sort()).toEqual([...ids].sort());
    expect(await stats(second)).toMatchObject({ pending: 0, failed: 0, dead: 0, processed: rows.length, oldestUnprocessedAt: null });
    const { effects, messages } = tables(second.app);
    expect((await effects.findBy({ eventId: In(ids) })).map((e) => e.deliveries)).toEqual(rows.map(() => 1));
    expect(await messages.findOne(rows[0].ncmessageId)).toMatchObject({ status: 'delivered' });
  });

  it("takes a dead instance's rows whose claim ran out, and a row under another instance's live claim only once it runs out", async () => {
    const t = await boot({ recovery: { sweepIntervalMs: 100 } });
    await t.settle();
    const liveUntil = Date.now() + 3000;
    const expired = inboxRow(buildDeliveryStatus(), { claimedBy: 'dead-instance', lockedUntil: new Date(Date.now() - 1000) });
    const live = inboxRow(buildDeliveryStatus(), { claimedBy: 'live-instance', lockedUntil: new Date(liveUntil) });
    await insertInboxRows(t.app.get(DataSource), [expired, live]);

    await waitFor('the expired claim to be taken over', () => received(t).includes(expired.id));
    // Until the live claim runs out, the worker keeps looking (every 100 ms) and leaves the row alone.
    while (Date.now() < liveUntil - 300) {
      expect(received(t)).not.toContain(live.id);
      await sleep(100);
    }
    expect(await stats(t)).toMatchObject({ pending: 1, processed: 1 });

    await waitFor('the row to be taken once its claim ran out', () => received(t).includes(live.id));
    expect(Date.now()).toBeGreaterThanOrEqual(liveUntil);
    await t.settle();
    expect(received(t)).toEqual([expired.id, live.id]);
    expect(await stats(t)).toMatchObject({ pending: 0, failed: 0, processed: 2 });
    expect((await tables(t.app).effects.findBy({ eventId: In([expired.id, live.id]) })).map((e) => e.deliveries)).toEqual([1, 1]);
  });

  it('retries an event that falls due behind a sweep of full batches without waiting for the sweep to end', async () => {
    // Small batches make a long sweep; no poll fires within the test, so only the retry's own timer can send the
    // next claim back to the oldest rows.
    const logger = new CapturingLogger();
    const t = await boot({ retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 100 }, recovery: { batchSize: 5, sweepIntervalMs: 60_000 } }, logger);
    await t.settle();
    const faults = t.app.get(FaultPlan);
    const first = inboxRow(buildDeliveryStatus({ status: 'delivered' }));
    first.event.createdAt = first.work.createdAt = new Date(Date.now() - 60_000);
    const backlog = Array.from({ length: 3000 }, () => inboxRow(buildDeliveryStatus({ status: 'delivered' })));
    await insertInboxRows(t.app.get(DataSource), [first, ...backlog]);
    faults.alwaysFailFor.add(first.ncmessageId);
    // How much of the backlog the listeners had received when the retry came.
    let receivedAtRetry = -1;
    const apply = faults.apply.bind(faults);
    jest.spyOn(faults, 'apply').mockImplementation((event) => {
      if (event.ncmessageId === first.ncmessageId && faults.callsFor.get(first.ncmessageId) === 1) receivedAtRetry = received(t).length;
      return apply(event);
    });
    await postSigned(t.app, buildWebhookPayload(buildDeliveryStatus())).expect(200); // wakes the worker

    await waitFor('the event to die after its retry', async () => (await stats(t)).dead === 1);
    expect(receivedAtRetry).toBeGreaterThan(0);
    expect(receivedAtRetry).toBeLessThan(backlog.length);
    await t.settle();
    expect(await stats(t)).toMatchObject({ pending: 0, failed: 0, dead: 1, processed: backlog.length + 1 });
  });

  it('records the failures of several events failing at once: one attempt each, exactly maxAttempts calls, one dead letter each', async () => {
    const logger = new CapturingLogger();
    const maxAttempts = 3;
    // batchSize 1: every full batch starts another loop, so several events fail (and are recorded) concurrently.
    const t = await boot({ retry: { maxAttempts, baseDelayMs: 5, maxDelayMs: 20 }, recovery: { batchSize: 1, sweepIntervalMs: 50 } }, logger);
    await t.settle();
    const faults = t.app.get(FaultPlan);
    const bad = Array.from({ length: 12 }, () => buildDeliveryStatus({ status: 'delivered' }));
    const good = Array.from({ length: 12 }, () => buildDeliveryStatus({ status: 'read' }));
    for (const item of bad) faults.alwaysFailFor.add(item.ncmessage_id);
    const mixed = bad.flatMap((item, i) => [item, good[i]]);
    await postSigned(t.app, buildWebhookPayload(...mixed)).expect(200, { accepted: mixed.length, duplicates: 0, rejected: 0 });

    await waitFor('every failing event to die', async () => (await stats(t)).dead === bad.length);
    await t.settle();
    expect(await stats(t)).toMatchObject({ pending: 0, failed: 0, dead: bad.length, processed: good.length });
    expect((await stats(t)).openDeadLetters).toEqual({ validation: 0, processing: bad.length, billing: 0, total: bad.length });
    expect(bad.map((item) => faults.callsFor.get(item.ncmessage_id))).toEqual(bad.map(() => maxAttempts));
    expect(good.map((item) => faults.callsFor.get(item.ncmessage_id))).toEqual(good.map(() => 1));
    const { deadLetters } = tables(t.app);
    const rows = await storedEvents(t.app, { ncmessageId: In(bad.map((i) => i.ncmessage_id)) });
    expect(rows.map((r) => ({ state: r.state, attempts: r.attempts }))).toEqual(bad.map(() => ({ state: 'dead', attempts: maxAttempts })));
    expect(await deadLetters.countBy({ eventId: In(rows.map((r) => r.id)), reason: 'processing', occurrences: 1 })).toBe(bad.length);
    // What the failures logged: a retry warning for each failed attempt but the last, an error for each death.
    expect(logger.lines.filter((l) => l.level === 'error' && /moved to the dead letters/.test(l.message))).toHaveLength(bad.length);
    expect(logger.lines.filter((l) => l.level === 'warn' && /Listener failed .* retry at/.test(l.message))).toHaveLength(bad.length * (maxAttempts - 1));
  });

  (kind === 'postgres' ? it : it.skip)('never gives one row to two instances: two instances under load process each event exactly once', async () => {
    const webhooks = { recovery: { sweepIntervalMs: 20, batchSize: 7 } };
    const a = await boot(webhooks);
    const b = await boot(webhooks);
    await Promise.all([a.settle(), b.settle()]);
    // A backlog both instances' timers find, and webhooks to both at once while they drain it.
    const rows = Array.from({ length: 300 }, (_, i) => inboxRow(buildDeliveryStatus({ status: i % 2 ? 'read' : 'sent' })));
    await insertInboxRows(a.app.get(DataSource), rows);
    const posted = Array.from({ length: 20 }, () => Array.from({ length: 5 }, () => buildDeliveryStatus({ status: 'delivered' })));
    const responses = await Promise.all(posted.map((batch, i) => postSigned((i % 2 ? a : b).app, buildWebhookPayload(...batch))));
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const total = rows.length + posted.flat().length;

    await waitFor('every event processed', async () => (await stats(a)).processed === total);
    await Promise.all([a.settle(), b.settle()]);
    const ids = received(a, b);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(ids).toEqual(expect.arrayContaining(rows.map((r) => r.id)));
    const done = await tables(a.app).effects.find();
    expect(done).toHaveLength(total);
    expect(done.filter((e) => e.deliveries !== 1)).toEqual([]);
    // Both instances took part (each runs the listeners of its own app).
    expect(a.app.get(FaultPlan).calls).toBeGreaterThan(0);
    expect(b.app.get(FaultPlan).calls).toBeGreaterThan(0);
    expect(await stats(a)).toMatchObject({ pending: 0, failed: 0, dead: 0, processed: total });
  });

  (kind === 'postgres' ? it : it.skip)('goes past a row another transaction has locked instead of waiting for it (SKIP LOCKED)', async () => {
    // Only ingest wakes the worker here: no timer fires within the test.
    const t = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await t.settle();
    const locked = inboxRow();
    locked.event.createdAt = locked.work.createdAt = new Date(Date.now() - 60_000); // first in claim order
    const free = inboxRow();
    await insertInboxRows(t.app.get(DataSource), [locked, free]);
    const other = new Client({ connectionString: (db.options as { url: string }).url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT "id" FROM "netcore_inbox_work" WHERE "id" = $1 FOR UPDATE', [locked.id]);
      const woken = buildDeliveryStatus();
      await postSigned(t.app, buildWebhookPayload(woken)).expect(200);
      // A claim that waited for the locked row would process nothing until the lock went.
      await waitFor('the unlocked rows to be processed while the lock is held', () => received(t).includes(free.id) && t.recorder.received.some((r) => r.event.ncmessageId === woken.ncmessage_id), {
        timeoutMs: 15_000,
      });
      await t.settle();
      expect(received(t)).not.toContain(locked.id);
      expect(await stats(t)).toMatchObject({ pending: 1, processed: 2 });
      await other.query('COMMIT');

      await postSigned(t.app, buildWebhookPayload(buildDeliveryStatus())).expect(200);
      await waitFor('the once-locked row to be processed', () => received(t).includes(locked.id));
      await t.settle();
      expect(await stats(t)).toMatchObject({ pending: 0, processed: 4 });
    } finally {
      await other.end();
    }
  });

  describe('graceful shutdown', () => {
    it('finishes the work in flight before closing', async () => {
      const t = await boot({ shutdownTimeoutMs: 30_000 });
      const faults = t.app.get(FaultPlan);
      const release = faults.hold();
      const items = [buildDeliveryStatus(), buildDeliveryStatus(), buildDeliveryStatus()];
      await postSigned(t.app, buildWebhookPayload(...items)).expect(200, { accepted: 3, duplicates: 0, rejected: 0 });
      await waitFor('the first event to reach the listener', () => faults.calls === 1);

      let closed = false;
      const closing = t.app.close().then(() => (closed = true));
      await sleep(300);
      expect(closed).toBe(false);
      release();
      await closing;
      expect(t.recorder.received.map((r) => r.event.ncmessageId)).toEqual(items.map((i) => i.ncmessage_id));

      // Nothing is left to the next instance, and nothing is processed twice.
      const next = await boot({ recovery: { sweepIntervalMs: 100 } });
      await sleep(500);
      await next.settle();
      expect(next.recorder.received).toEqual([]);
      expect(await stats(next)).toMatchObject({ pending: 0, failed: 0, processed: 3 });
      expect((await tables(next.app).effects.findBy({ ncmessageId: In(items.map((i) => i.ncmessage_id)) })).map((e) => e.deliveries)).toEqual([1, 1, 1]);
    });

    it('stops waiting after shutdownTimeoutMs; the stuck row is processed by another instance once its claim runs out', async () => {
      const logger = new CapturingLogger();
      const recovery = { leaseMs: 500, sweepIntervalMs: 50 };
      const t = await boot({ shutdownTimeoutMs: 100, recovery }, logger);
      const faults = t.app.get(FaultPlan);
      const release = faults.hold();
      const item = buildDeliveryStatus({ status: 'read' });
      await postSigned(t.app, buildWebhookPayload(item)).expect(200);
      await waitFor('the event to reach the listener', () => faults.calls === 1);
      await t.app.close();
      expect(logger.text()).toMatch(/processing still running after 100 ms/);

      // The next app's logger is Nest's logger from now on: what the closed instance logs when let go lands there too.
      const next = await boot({ recovery }, logger);
      await waitFor('the other instance to take the row over', () => next.recorder.received.some((r) => r.event.ncmessageId === item.ncmessage_id));
      await next.settle();
      expect(await tables(next.app).effects.countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
      expect(await stats(next)).toMatchObject({ pending: 0, processed: 1 });
      // The closed instance's listener, let go, finds its database closed and says so.
      release();
      await t.settle();
      expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([expect.stringMatching(/^Processing paused by a database error/)]);
    });
  });
});
