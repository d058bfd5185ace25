import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, In } from 'typeorm';
import {
  NetcoreEventDispatcher,
  NetcoreRecoverySweeper,
  NetcoreWebhookEvent,
  type NetcoreWebhooksOptions,
} from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { InboxClaimStore } from '../src/netcore-webhooks/dispatch/inbox-claim.store';
import { FaultPlan } from './fixtures/reliability/fault-plan';
import { FIXTURE_LEDGER, FixtureEffect } from './fixtures/reliability/ledger.entities';
import { LEDGER_PROVIDERS } from './fixtures/reliability/ledger.listener';
import { inboxRow, insertInboxRows } from './support/inbox-rows';
import { openDatabase } from './support/open-database';
import { tables } from './support/reliability';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES, createTestDatabase, type DatabaseKind, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

jest.setTimeout(60_000);

function start(kind: DatabaseKind, db: TestDatabase, webhooks: Partial<NetcoreWebhooksOptions> = {}): Promise<TestApp> {
  return startHostApp(kind, { providers: LEDGER_PROVIDERS, webhooks }, { db, ...FIXTURE_LEDGER });
}

describe.each(DATABASES)('recovery (%s)', (kind) => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const boot = async (webhooks: Partial<NetcoreWebhooksOptions> = {}) => {
    const t = await start(kind, db, webhooks);
    apps.push(t);
    return t;
  };
  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.app.close().catch(() => undefined);
    await db.drop();
  });

  it('processes at start-up the events a previous process acknowledged but never dispatched', async () => {
    const first = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await first.settle();
    const rows = Array.from({ length: 12 }, () => inboxRow(buildDeliveryStatus({ status: 'delivered' })));
    await insertInboxRows(first.app.get(DataSource), rows);
    await first.app.close();

    const second = await boot();
    const { inbox, effects, messages } = tables(second.app);
    const ids = rows.map((r) => r.id);
    await waitFor('the start-up sweep', async () => (await inbox.countBy({ id: In(ids), state: 'processed' })) === rows.length);
    expect((await effects.findBy({ eventId: In(ids) })).map((e) => e.deliveries)).toEqual(rows.map(() => 1));
    expect(await messages.findOne(rows[0].ncmessageId)).toMatchObject({ status: 'delivered' });
  });

  it("takes over a dead instance's rows once their lease expired, and leaves rows under a live lease alone", async () => {
    const first = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await first.settle();
    const expired = inboxRow(buildDeliveryStatus(), { claimedBy: 'dead-instance', lockedUntil: new Date(Date.now() - 1000) });
    const live = inboxRow(buildDeliveryStatus(), { claimedBy: 'live-instance', lockedUntil: new Date(Date.now() + 3_600_000) });
    await insertInboxRows(first.app.get(DataSource), [expired, live]);
    await first.app.close();

    const second = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    const { inbox } = tables(second.app);
    await waitFor('the expired claim to be taken over', async () => (await inbox.findOneByOrFail({ id: expired.id })).state === 'processed');
    await second.settle();
    await second.app.get(NetcoreRecoverySweeper).sweep();
    expect(await inbox.findOneByOrFail({ id: live.id })).toMatchObject({ state: 'pending', claimedBy: 'live-instance', attempts: 0 });
  });

  it('never gives one row to two sweeps: concurrent sweeps of two instances deliver each event once', async () => {
    const a = await boot({ recovery: { sweepIntervalMs: 20, batchSize: 7 } });
    const b = await boot({ recovery: { sweepIntervalMs: 20, batchSize: 7 } });
    await Promise.all([a.settle(), b.settle()]);
    const rows = Array.from({ length: 150 }, (_, i) => inboxRow(buildDeliveryStatus({ status: i % 2 ? 'read' : 'sent' })));
    await insertInboxRows(a.app.get(DataSource), rows);
    await Promise.all([a, b, a, b].map((t) => t.app.get(NetcoreRecoverySweeper).sweep()));
    const { inbox, effects } = tables(a.app);
    const ids = rows.map((r) => r.id);
    await waitFor('every row processed', async () => (await inbox.countBy({ id: In(ids), state: 'processed' })) === rows.length);
    await Promise.all([a.settle(), b.settle()]);
    const done = await effects.findBy({ eventId: In(ids) });
    expect(done).toHaveLength(rows.length);
    expect(done.filter((e) => e.deliveries !== 1)).toEqual([]);
    // Both instances took part (each runs the listener of its own app).
    expect(a.app.get(FaultPlan).calls).toBeGreaterThan(0);
    expect(b.app.get(FaultPlan).calls).toBeGreaterThan(0);
  });

  it('claims from a given creation time on, leaving older due rows to a claim without it', async () => {
    const t = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await t.settle();
    const base = Date.now() - 60_000;
    const rows = Array.from({ length: 6 }, (_, i) => Object.assign(inboxRow(), { createdAt: new Date(base + i * 1000) }));
    await insertInboxRows(t.app.get(DataSource), rows);
    const claims = t.app.get(InboxClaimStore);

    const later = await claims.claimDue(100, base + 3000);
    expect(later.events.map((e) => e.id)).toEqual(rows.slice(3).map((r) => r.id));
    expect(later.newest).toBe(base + 5000);
    const rest = await claims.claimDue(100);
    expect(rest.events.map((e) => e.id)).toEqual(rows.slice(0, 3).map((r) => r.id));
    expect((await claims.claimDue(100)).events).toEqual([]);
  });

  it('records the failures of several dispatch runs at once, each under its claim, one attempt each', async () => {
    const t = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await t.settle();
    const leaseUntil = Date.now() + 60_000;
    const rows = Array.from({ length: 4 }, () => inboxRow(buildDeliveryStatus(), { claimedBy: randomUUID(), lockedUntil: new Date(leaseUntil) }));
    await insertInboxRows(t.app.get(DataSource), rows);
    const claims = t.app.get(InboxClaimStore);
    // Four runs whose listeners threw in the same turn of the event loop (SQLite: one shared connection).
    const outcomes = await Promise.all(
      rows.map((r) => claims.recordFailure({ id: r.id, status: r.status, raw: {}, claim: r.claimedBy!, leaseUntil }, new Error('listener failed'))),
    );
    expect(outcomes.map((o) => o.state)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const stored = await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).findBy({ id: In(rows.map((r) => r.id)) });
    expect(stored.map((r) => ({ state: r.state, attempts: r.attempts, claimedBy: r.claimedBy }))).toEqual(
      rows.map(() => ({ state: 'failed', attempts: 1, claimedBy: null })),
    );
  });

  it('starts each further claim of a sweep at the newest row it claimed, past the rows held by live leases', async () => {
    const t = await boot({ recovery: { sweepIntervalMs: 60_000, batchSize: 4 } });
    await t.settle();
    const base = Date.now() - 60_000;
    const held = Array.from({ length: 5 }, (_, i) =>
      Object.assign(inboxRow(buildDeliveryStatus(), { claimedBy: 'live-instance', lockedUntil: new Date(Date.now() + 3_600_000) }), {
        createdAt: new Date(base + i),
      }),
    );
    const free = Array.from({ length: 10 }, (_, i) => Object.assign(inboxRow(), { createdAt: new Date(base + 1000 + i) }));
    await insertInboxRows(t.app.get(DataSource), [...held, ...free]);
    const claims = t.app.get(InboxClaimStore);
    const claimDue = jest.spyOn(claims, 'claimDue');

    expect(await t.app.get(NetcoreRecoverySweeper).sweep()).toBe(10);
    expect(claimDue.mock.calls.map(([, from]) => from)).toEqual([undefined, base + 1003, base + 1007]);
    const { inbox } = tables(t.app);
    await waitFor('the free rows processed', async () => (await inbox.countBy({ id: In(free.map((r) => r.id)), state: 'processed' })) === 10);
    expect(await inbox.countBy({ id: In(held.map((r) => r.id)), claimedBy: 'live-instance', state: 'pending' })).toBe(5);
  });

  (kind === 'postgres' ? it : it.skip)('skips rows another transaction is claiming instead of waiting for them (SKIP LOCKED)', async () => {
    const t = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await t.settle();
    const [locked, free] = [inboxRow(), inboxRow()];
    await insertInboxRows(t.app.get(DataSource), [locked, free]);
    const other = new Client({ connectionString: (db.options as { url: string }).url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT "id" FROM "netcore_webhook_events" WHERE "id" = $1 FOR UPDATE', [locked.id]);
      await t.app.get(NetcoreRecoverySweeper).sweep(); // would block on the locked row without SKIP LOCKED
      const { inbox } = tables(t.app);
      expect(await inbox.findOneByOrFail({ id: free.id })).toMatchObject({ state: 'processed' });
      expect(await inbox.findOneByOrFail({ id: locked.id })).toMatchObject({ state: 'pending', claimedBy: null });
      await other.query('COMMIT');
      await t.app.get(NetcoreRecoverySweeper).sweep();
      expect(await inbox.findOneByOrFail({ id: locked.id })).toMatchObject({ state: 'processed' });
    } finally {
      await other.end();
    }
  });

  (kind === 'postgres' ? it : it.skip)('records outcomes locking rows in idempotency-key order, as an insert of a retried webhook locks them', async () => {
    const t = await boot({ recovery: { sweepIntervalMs: 60_000 } });
    await t.settle();
    const claim = { claimedBy: randomUUID(), lockedUntil: new Date(Date.now() + 60_000) };
    // First by idempotency key, last by id and by position in the table: an UPDATE scanning by id or in table
    // order would lock `last` first.
    const first = Object.assign(inboxRow(buildDeliveryStatus({ ncmessage_id: `a-${randomUUID()}` }), claim), { id: `z-${randomUUID()}`.slice(0, 36) });
    const last = Object.assign(inboxRow(buildDeliveryStatus({ ncmessage_id: `z-${randomUUID()}` }), claim), { id: `a-${randomUUID()}`.slice(0, 36) });
    await insertInboxRows(t.app.get(DataSource), [last]);
    await insertInboxRows(t.app.get(DataSource), [first]);
    const url = (db.options as { url: string }).url;
    const [holder, probe] = [new Client({ connectionString: url }), new Client({ connectionString: url })];
    await Promise.all([holder.connect(), probe.connect()]);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT "id" FROM "netcore_webhook_events" WHERE "id" = $1 FOR UPDATE', [first.id]);
      const stored = (row: NetcoreWebhookEvent) => ({ id: row.id, status: row.status, raw: {}, claim: claim.claimedBy, leaseUntil: claim.lockedUntil.getTime() });
      const marking = t.app.get(InboxClaimStore).markProcessed([stored(last), stored(first)]);
      await waitFor('the update to wait for the held row', async () => {
        const { rows } = await probe.query(`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return rows[0].n > 0;
      });
      // While it waits for `first`, it holds nothing after it in key order.
      await probe.query('BEGIN');
      await expect(probe.query('SELECT "id" FROM "netcore_webhook_events" WHERE "id" = $1 FOR UPDATE NOWAIT', [last.id])).resolves.toBeDefined();
      await probe.query('ROLLBACK');
      await holder.query('COMMIT');
      await marking;
      const { inbox } = tables(t.app);
      expect(await inbox.findBy({ id: In([first.id, last.id]) })).toEqual([
        expect.objectContaining({ state: 'processed', claimedBy: null }),
        expect.objectContaining({ state: 'processed', claimedBy: null }),
      ]);
    } finally {
      await Promise.all([holder.end(), probe.end()]);
    }
  });

  describe('graceful shutdown', () => {
    it('finishes the event in flight before closing and gives the rest of its batch back to the sweep', async () => {
      const t = await boot({ shutdownTimeoutMs: 30_000 });
      const faults = t.app.get(FaultPlan);
      const release = faults.hold();
      const items = [buildDeliveryStatus(), buildDeliveryStatus(), buildDeliveryStatus()];
      await postSigned(t.app, buildWebhookPayload(...items)).expect(200, { accepted: 3, duplicates: 0, rejected: 0 });
      await waitFor('the first event to reach the listener', () => faults.calls === 1);

      let closed = false;
      const closing = t.app.close().then(() => (closed = true));
      await waitFor('the dispatcher to stop', () => t.app.get(NetcoreEventDispatcher).isStopping);
      expect(closed).toBe(false);
      release();
      await closing;

      const ds = await openDatabase(db);
      try {
        const rows = await ds.getRepository(NetcoreWebhookEvent).findBy({ ncmessageId: In(items.map((i) => i.ncmessage_id)) });
        const byMessage = new Map(rows.map((r) => [r.ncmessageId, r]));
        expect(byMessage.get(items[0].ncmessage_id)).toMatchObject({ state: 'processed' });
        for (const item of items.slice(1)) {
          expect(byMessage.get(item.ncmessage_id)).toMatchObject({ state: 'pending', claimedBy: null, lockedUntil: null });
        }
        expect(await ds.getRepository(FixtureEffect).countBy({ ncmessageId: items[0].ncmessage_id })).toBe(1);
      } finally {
        await ds.destroy();
      }

      const next = await boot();
      const { inbox } = tables(next.app);
      await waitFor('the next instance to process the rest', async () =>
        (await inbox.countBy({ ncmessageId: In(items.map((i) => i.ncmessage_id)), state: 'processed' })) === 3,
      );
    });

    it('stops waiting after shutdownTimeoutMs; the stuck rows are processed by another instance after their lease', async () => {
      const t = await boot({ shutdownTimeoutMs: 100, recovery: { leaseMs: 500, sweepIntervalMs: 50 } });
      const faults = t.app.get(FaultPlan);
      const release = faults.hold();
      const item = buildDeliveryStatus({ status: 'read' });
      await postSigned(t.app, buildWebhookPayload(item)).expect(200);
      await waitFor('the event to reach the listener', () => faults.calls === 1);
      await t.app.close();

      const next = await boot({ recovery: { leaseMs: 500, sweepIntervalMs: 50 } });
      const { inbox, effects } = tables(next.app);
      await waitFor('the other instance to take the row over', async () =>
        (await inbox.findOneByOrFail({ ncmessageId: item.ncmessage_id })).state === 'processed',
      );
      expect(await effects.countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
      release();
    });
  });
});
