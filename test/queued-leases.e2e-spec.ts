import { DataSource } from 'typeorm';
import { In } from 'typeorm';
import {
  NetcoreEventDispatcher,
  NetcoreRecoverySweeper,
  NetcoreWebhookEvent,
  type StoredEvent,
} from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { inboxRow, insertInboxRows } from './support/inbox-rows';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

const LEASE_MS = 60_000;

/** A row as a request stored it, claimed by `claim`, and the queued event pointing at it under `queuedAs`. */
async function queuedRow(t: TestApp, claim: string, queuedAs: string, leaseLeftMs: number): Promise<StoredEvent> {
  const item = buildDeliveryStatus();
  const row = inboxRow(item, { claimedBy: claim, lockedUntil: new Date(Date.now() + leaseLeftMs) });
  await insertInboxRows(t.app.get(DataSource), [row]);
  return { id: row.id, status: row.status, raw: item as unknown as Record<string, unknown>, claim: queuedAs, leaseUntil: Date.now() + leaseLeftMs };
}

describe.each(DATABASES)('events that waited in the dispatch queue (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind, { webhooks: { recovery: { leaseMs: LEASE_MS } } });
  });
  afterAll(() => t?.close());
  beforeEach(() => t.resetRecording());

  it('renews a lease that is running out before processing, and processes the event', async () => {
    const event = await queuedRow(t, 'claim-a', 'claim-a', 1_000);
    await t.app.get(NetcoreEventDispatcher).enqueue([event]);
    expect(t.recorder.received.map((r) => r.event.eventId)).toEqual([event.id]);
    expect(await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).findOneByOrFail({ id: event.id })).toMatchObject({
      state: 'processed',
      claimedBy: null,
    });
  });

  it('leaves an event whose claim was taken over meanwhile to its new holder: not processed, not released', async () => {
    const event = await queuedRow(t, 'claim-of-a-sweep', 'claim-a', 1_000);
    await t.app.get(NetcoreEventDispatcher).enqueue([event]);
    expect(t.recorder.received).toEqual([]);
    expect(await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).findOneByOrFail({ id: event.id })).toMatchObject({
      state: 'pending',
      claimedBy: 'claim-of-a-sweep',
    });
  });

  it('marks processed only the rows its own claims hold, even with several claims in one batch', async () => {
    const mine = await queuedRow(t, 'claim-b', 'claim-b', LEASE_MS);
    const other = await queuedRow(t, 'claim-c', 'claim-c', LEASE_MS);
    // `other` is queued under claim-b, which it is not held by; claim-c is in the batch for no row of its own.
    const stray = { ...other, claim: 'claim-b' };
    const decoy = { ...mine, id: 'no-such-row', claim: 'claim-c' };
    await t.app.get(NetcoreEventDispatcher).enqueue([mine, stray, decoy]);
    const inbox = t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
    expect(await inbox.findOneByOrFail({ id: mine.id })).toMatchObject({ state: 'processed' });
    expect(await inbox.findOneByOrFail({ id: other.id })).toMatchObject({ state: 'pending', claimedBy: 'claim-c' });
  });
});

describe.each(DATABASES)('a full dispatch queue (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind);
  });
  afterAll(() => t?.close());
  beforeEach(() => t.resetRecording());

  it('answers 200 and stores the events unclaimed, and the sweep processes them', async () => {
    const items = [buildDeliveryStatus(), buildDeliveryStatus({ status: 'delivered' })];
    const inbox = t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
    const rows = () => inbox.findBy({ ncmessageId: In(items.map((i) => i.ncmessage_id)) });
    const full = jest.spyOn(t.app.get(NetcoreEventDispatcher), 'admit').mockReturnValue(false);
    try {
      await postSigned(t.app, buildWebhookPayload(...items)).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
      await t.settle();
    } finally {
      full.mockRestore();
    }
    expect((await rows()).map((r) => ({ state: r.state, claimedBy: r.claimedBy }))).toEqual([
      { state: 'pending', claimedBy: null },
      { state: 'pending', claimedBy: null },
    ]);
    expect(t.recorder.received).toEqual([]);

    await t.app.get(NetcoreRecoverySweeper).sweep();
    expect((await rows()).map((r) => r.state)).toEqual(['processed', 'processed']);
    expect(t.recorder.received.map((r) => r.event.ncmessageId).sort()).toEqual(items.map((i) => i.ncmessage_id).sort());
  });
});
