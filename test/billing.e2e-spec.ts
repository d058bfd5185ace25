import { DataSource, In } from 'typeorm';
import {
  NetcoreDeadLetterService,
  NetcoreBillingService,
  NetcoreBillingSink,
  NetcoreBillingState,
  NetcoreMessageService,
  NetcoreWebhookEvent,
  NetcoreWebhooksModule,
} from '../src';
import {
  NETCORE_SAMPLE_PAYLOADS,
  buildDeliveryStatus,
  buildWebhookPayload,
  type NetcoreDeliveryStatusItem,
} from '../src/testing';
import { BatchingBillingSink, HostSinksModule, RecordingBillingSink } from './fixtures/recording-sinks';
import { insertValidationLetter } from './support/dead-letters';
import { AT, REMARK, T0, expectedBillingCalls, lifecycle, permutations } from './support/lifecycle';
import { processAgain } from './support/inbox-rows';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

const FOUR = permutations(['sent', 'delivered', 'read', 'failed']);

async function deliverOneByOne(t: TestApp, items: NetcoreDeliveryStatusItem[]): Promise<void> {
  for (const item of items) {
    await postSigned(t.app, buildWebhookPayload(item)).expect(200);
    await t.settle();
  }
}

/** The event's processing runs again (as after a crash before it was marked processed). */
function redeliver(t: TestApp, item: NetcoreDeliveryStatusItem): Promise<void> {
  return processAgain(t.app, { ncmessageId: item.ncmessage_id, status: item.status });
}

/**
 * The billing row a worker of an earlier version leaves when it dies holding a message it was to charge (it
 * did not mark it `calling`): `notified` still `none`, its claim run out. Whether it called the sink is not known.
 */
async function insertCrashedWorkerState(t: TestApp, ncmessageId: string): Promise<void> {
  await t.app.get(DataSource).getRepository(NetcoreBillingState).insert({
    ncmessageId,
    billableAt: new Date(AT.sent * 1000),
    category: 'marketing',
    pricingModel: 'PMP',
    pricingType: 'regular',
    failedAt: null,
    failureReason: null,
    deliveredAt: null,
    notified: 'none',
    claimToken: 'crashed-worker',
    claimedUntil: new Date(Date.now() - 1000),
    updatedAt: new Date(),
  });
}

describe.each(DATABASES)('billing with the default ledger (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind);
  });
  afterAll(() => t?.close());

  const billing = () => t.app.get(NetcoreBillingService);

  it("charges Netcore's billable samples once and never the non-billable or failed ones", async () => {
    for (const payload of Object.values(NETCORE_SAMPLE_PAYLOADS)) await postSigned(t.app, payload).expect(200);
    await t.settle();
    const { read, sent, delivered, failed } = NETCORE_SAMPLE_PAYLOADS;
    expect(await billing().findOne(read.delivery_status[0].ncmessage_id)).toMatchObject({
      category: 'marketing',
      pricingModel: 'PMP',
      pricingType: 'regular',
      chargedAt: new Date(1764693401000),
      state: 'charged',
      voidedAt: null,
      voidReason: null,
    });
    expect(await billing().findOne(sent.delivery_status[0].ncmessage_id)).toMatchObject({
      category: 'marketing_lite',
      chargedAt: new Date(1764585991000),
      state: 'charged',
    });
    expect(await billing().findOne(delivered.delivery_status[0].ncmessage_id)).toBeNull();
    expect(await billing().findOne(failed.delivery_status[0].ncmessage_id)).toBeNull();
  });

  describe.each(FOUR)('sent/delivered/read/failed arriving as %s, %s, %s, %s', (...order) => {
    it('ends with one charge, from the first billable event to arrive, not voided', async () => {
      const items = lifecycle(order);
      await deliverOneByOne(t, items);
      const firstBillable = order.find((s) => s !== 'failed')!;
      expect(await billing().findOne(items[0].ncmessage_id)).toMatchObject({
        state: 'charged',
        chargedAt: new Date(AT[firstBillable] * 1000),
        voidedAt: null,
        voidReason: null,
      });
    });
  });

  it('voids the charge of a billable sent when failed follows, with the remark as reason', async () => {
    const items = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, items);
    expect(await billing().findOne(items[0].ncmessage_id)).toMatchObject({
      state: 'voided',
      chargedAt: new Date(AT.sent * 1000),
      voidedAt: new Date(AT.failed * 1000),
      voidReason: REMARK,
    });
  });

  it('never charges a message whose failed arrived before its billable sent', async () => {
    const items = lifecycle(['failed', 'sent']);
    await deliverOneByOne(t, items);
    expect(await billing().findOne(items[0].ncmessage_id)).toBeNull();
  });

  it('restores a voided charge when delivered arrives after the failure', async () => {
    const items = lifecycle(['sent', 'failed', 'delivered']);
    await deliverOneByOne(t, items.slice(0, 2));
    expect((await billing().findOne(items[0].ncmessage_id))?.state).toBe('voided');
    await deliverOneByOne(t, items.slice(2));
    expect(await billing().findOne(items[0].ncmessage_id)).toMatchObject({ state: 'charged', voidedAt: null, voidReason: null });
  });

  it('never charges a message whose events all say billable: false', async () => {
    const pricing = { billable: false, category: 'utility', pricing_model: 'PMP', type: 'regular' };
    const items = lifecycle(['sent', 'delivered', 'read'], { pricing });
    await deliverOneByOne(t, [...items, { ...items[2], status: 'clicked', received_at: String(T0 + 900) }]);
    expect(await billing().findOne(items[0].ncmessage_id)).toBeNull();
  });

  it('leaves exactly one charge when the same billable event is posted 20 times at once', async () => {
    const item = buildDeliveryStatus({ status: 'read', received_at: String(T0) });
    const results = await Promise.all(Array.from({ length: 20 }, () => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
    expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(1);
    expect(await billing().findOne(item.ncmessage_id)).toMatchObject({ state: 'charged', chargedAt: new Date(T0 * 1000) });
  });

  it('reaches the same outcome when the lifecycles of 30 messages arrive in concurrent requests', async () => {
    const messages = Array.from({ length: 30 }, (_, i) => lifecycle(i % 3 === 0 ? ['failed', 'sent'] : i % 3 === 1 ? ['sent', 'failed', 'read'] : ['read', 'sent', 'delivered']));
    await Promise.all(messages.flat().map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
    for (const [i, items] of messages.entries()) {
      const record = await billing().findOne(items[0].ncmessage_id);
      // A failed message may or may not have been charged before its failure was seen; it is never billed.
      if (i % 3 === 0) expect(record === null || record.state === 'voided').toBe(true);
      else expect(record).toMatchObject({ state: 'charged', voidedAt: null });
    }
  });

  it('does not charge twice when the listeners of an event run again (redelivery)', async () => {
    const items = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, items);
    await redeliver(t, items[0]);
    await redeliver(t, items[1]);
    expect(await billing().findOne(items[0].ncmessage_id)).toMatchObject({ state: 'voided', voidReason: REMARK });
  });

  it('charges once when the analytics statements of its batch fail, and records the analytics on retry', async () => {
    const [sent] = lifecycle(['sent']);
    const ds = t.app.get(DataSource);
    const failFactsOf = async (ncmessageId: string | null) => {
      await ds.query('DELETE FROM "test_fact_faults"');
      if (ncmessageId) await ds.query(`INSERT INTO "test_fact_faults" ("ncmessage_id") VALUES (${kind === 'postgres' ? '$1' : '?'})`, [ncmessageId]);
    };
    // The analytics fact is written after the ledger entry, in the same transaction: a fault there must not undo
    // the billing (state and billing are recorded again without it), and the event fails for analytics' retry.
    if (kind === 'postgres') {
      await ds.query('CREATE TABLE "test_fact_faults" ("ncmessage_id" varchar PRIMARY KEY)');
      await ds.query(
        `CREATE FUNCTION test_fail_fact() RETURNS trigger AS $$ BEGIN ` +
          `IF EXISTS (SELECT 1 FROM "test_fact_faults" WHERE "ncmessage_id" = NEW."ncmessage_id") THEN RAISE EXCEPTION 'injected fault'; END IF; ` +
          `RETURN NEW; END $$ LANGUAGE plpgsql`,
      );
      await ds.query('CREATE TRIGGER test_fail_fact BEFORE INSERT ON "netcore_analytics_events" FOR EACH ROW EXECUTE FUNCTION test_fail_fact()');
    } else {
      await ds.query('CREATE TABLE "test_fact_faults" ("ncmessage_id" varchar PRIMARY KEY)');
      await ds.query(
        'CREATE TRIGGER test_fail_fact BEFORE INSERT ON "netcore_analytics_events" ' +
          'WHEN EXISTS (SELECT 1 FROM "test_fact_faults" WHERE "ncmessage_id" = NEW."ncmessage_id") ' +
          "BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
      );
    }
    try {
      await failFactsOf(sent.ncmessage_id);
      await deliverOneByOne(t, [sent]);
      const inbox = ds.getRepository(NetcoreWebhookEvent);
      expect(await inbox.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ state: 'failed', attempts: 1 });
      expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'charged' });
      expect(await ds.query('SELECT 1 FROM "netcore_analytics_events" WHERE "ncmessage_id" = ' + (kind === 'postgres' ? '$1' : '?'), [sent.ncmessage_id])).toEqual([]);

      await failFactsOf(null);
      await redeliver(t, sent);
      await redeliver(t, sent);
      expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'charged', chargedAt: new Date(Number(sent.received_at) * 1000) });
      expect(await ds.getRepository(NetcoreBillingState).findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ notified: 'charged' });
      expect(await ds.query('SELECT 1 FROM "netcore_analytics_events" WHERE "ncmessage_id" = ' + (kind === 'postgres' ? '$1' : '?'), [sent.ncmessage_id])).toHaveLength(1);
      expect(await inbox.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ state: 'processed' });
    } finally {
      await ds.query('DROP TRIGGER test_fail_fact' + (kind === 'postgres' ? ' ON "netcore_analytics_events"' : ''));
      if (kind === 'postgres') await ds.query('DROP FUNCTION test_fail_fact()');
      await ds.query('DROP TABLE "test_fact_faults"');
    }
  });

  it('voids the charge of a message whose failed event carries a source longer than the analytics columns', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent]);
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'charged' });
    await postSigned(t.app, buildWebhookPayload({ ...failed, source: 's'.repeat(200) })).expect(200);
    await t.settle();
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'voided' });
    expect(await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).findBy({ ncmessageId: sent.ncmessage_id })).toEqual([
      expect.objectContaining({ state: 'processed' }),
      expect.objectContaining({ state: 'processed' }),
    ]);
  });

  it.each([
    ['a category longer than its column', { billable: true, category: 'c'.repeat(65), pricing_model: 'PMP', type: 'regular' }],
    ['billable as a string', { billable: 'yes' }],
    ['a NUL in its pricing model', { billable: false, pricing_model: 'P\u0000MP' }],
    ['pricing that is not an object', 'marketing'],
  ])('voids the charge of a message whose failed event carries invalid pricing (%s) instead of refusing the event', async (_case, pricing) => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent]);
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'charged' });
    // Not the typed shape: what a sender might put on the wire.
    const res = await postSigned(t.app, buildWebhookPayload({ ...failed, pricing: pricing as never })).expect(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    await t.settle();
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'voided' });
    expect(await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).findBy({ ncmessageId: sent.ncmessage_id })).toEqual([
      expect.objectContaining({ state: 'processed' }),
      expect.objectContaining({ state: 'processed' }),
    ]);
  });

  it.each(['delivered', 'read'])('keeps the charge of a message whose %s event carried invalid pricing when a failure follows', async (status) => {
    const [sent, delivery, failed] = lifecycle(['sent', status, 'failed']);
    await deliverOneByOne(t, [sent]);
    const res = await postSigned(t.app, buildWebhookPayload({ ...delivery, pricing: { billable: 'false' } as never })).expect(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    await t.settle();
    await deliverOneByOne(t, [failed]);
    // The delivery counts whatever its pricing: delivered outranks failed, so the charge stands.
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'charged' });
    expect(await t.app.get(NetcoreMessageService).findOne(sent.ncmessage_id)).toMatchObject({ status });
  });

  it.each([
    ['a number', 131026],
    ['a NUL character', 'operator\u0000error'],
  ])('voids the charge of a message whose failed event carries a status_remark with %s (left out, not the event)', async (_case, remark) => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent]);
    const res = await postSigned(t.app, buildWebhookPayload({ ...failed, status_remark: remark as never })).expect(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    await t.settle();
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'voided', voidReason: '' });
  });

  it('makes no charge from a delivered event whose invalid pricing was ignored', async () => {
    const [delivered] = lifecycle(['delivered']);
    await deliverOneByOne(t, [{ ...delivered, pricing: { billable: true, category: 'c'.repeat(65) } }]);
    expect(await billing().findOne(delivered.ncmessage_id)).toBeNull();
  });

  it('voids the charge when a failed event refused for its pricing by an earlier version is replayed from the dead letters', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent]);
    const letter = await insertValidationLetter(t.app, { ...failed, pricing: { billable: 'yes' } }, ['pricing.billable must be a boolean value']);
    expect(await t.app.get(NetcoreDeadLetterService).replay(letter.id)).toEqual({ id: letter.id, outcome: 'replayed' });
    await t.settle();
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'voided' });
  });

  it('still refuses a billable event whose pricing is invalid (a charge needs its pricing)', async () => {
    const [sent] = lifecycle(['sent']);
    const res = await postSigned(t.app, buildWebhookPayload({ ...sent, pricing: { billable: true, category: 'c'.repeat(65) } })).expect(200);
    expect(res.body).toEqual({ accepted: 0, duplicates: 0, rejected: 1 });
    await t.settle();
    expect(await billing().findOne(sent.ncmessage_id)).toBeNull();
  });

  it('totals charges by category and pricing model over a time range, charged minus voided', async () => {
    const day = 1_700_000_000; // a range no other test of this suite uses
    const base = { status: 'sent', received_at: String(day) };
    const pricing = (category: string, pricing_model: string) => ({ billable: true, category, pricing_model, type: 'regular' });
    const a = buildDeliveryStatus({ ...base, pricing: pricing('marketing', 'PMP') });
    const b = buildDeliveryStatus({ ...base, pricing: pricing('marketing', 'PMP') });
    const c = buildDeliveryStatus({ ...base, pricing: pricing('utility', 'other') });
    const bFailed = buildDeliveryStatus({ ncmessage_id: b.ncmessage_id, status: 'failed', received_at: String(day + 5), status_remark: 'x' });
    const outside = buildDeliveryStatus({ status: 'sent', received_at: String(day + 3600) });
    await deliverOneByOne(t, [a, b, c, bFailed, outside]);
    expect(await billing().totals({ from: new Date(day * 1000), to: new Date((day + 3600) * 1000) })).toEqual([
      { category: 'marketing', pricingModel: 'PMP', charged: 2, voided: 1, net: 1 },
      { category: 'utility', pricingModel: 'other', charged: 1, voided: 0, net: 1 },
    ]);
  });
});

describe.each(DATABASES)('billing through a host-provided sink (%s)', (kind) => {
  let t: TestApp;
  let sink: RecordingBillingSink;
  beforeAll(async () => {
    t = await startHostApp(kind, { extras: { billingSink: { useClass: RecordingBillingSink } } });
    sink = t.app.get(NetcoreBillingSink);
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    sink.failNext = 0;
    sink.failAfterNext = 0;
    sink.failFor.clear();
  });

  it('uses the host sink instead of the ledger', async () => {
    expect(sink).toBeInstanceOf(RecordingBillingSink);
    const [sent] = lifecycle(['sent']);
    await deliverOneByOne(t, [sent]);
    expect(await t.app.get(NetcoreBillingService).findOne(sent.ncmessage_id)).toBeNull();
    expect(sink.callsFor(sent.ncmessage_id)).toEqual([
      { call: 'charge', args: { ncmessageId: sent.ncmessage_id, category: 'marketing', pricingModel: 'PMP', pricingType: 'regular', chargedAt: new Date(AT.sent * 1000) } },
    ]);
  });

  it.each(FOUR)('receives exactly the calls the rules call for when events arrive as %s, %s, %s, %s', async (...order) => {
    const items = lifecycle(order);
    await deliverOneByOne(t, items);
    expect(sink.callsFor(items[0].ncmessage_id).map((c) => c.call)).toEqual(expectedBillingCalls(order));
  });

  it('is told charge, void (with the remark) and restore for sent, failed, delivered', async () => {
    const items = lifecycle(['sent', 'failed', 'delivered']);
    await deliverOneByOne(t, items);
    const id = items[0].ncmessage_id;
    expect(sink.callsFor(id)).toEqual([
      { call: 'charge', args: expect.objectContaining({ ncmessageId: id }) },
      { call: 'void', args: { ncmessageId: id, reason: REMARK, voidedAt: new Date(AT.failed * 1000) } },
      { call: 'restore', args: { ncmessageId: id, deliveredAt: new Date(AT.delivered * 1000) } },
    ]);
  });

  it('is told void when the failed event carries invalid pricing (the pricing is ignored, not the event)', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent, { ...failed, pricing: { billable: 'yes' } as never }]);
    expect(sink.callsFor(sent.ncmessage_id)).toEqual([
      { call: 'charge', args: expect.objectContaining({ ncmessageId: sent.ncmessage_id }) },
      { call: 'void', args: { ncmessageId: sent.ncmessage_id, reason: REMARK, voidedAt: new Date(AT.failed * 1000) } },
    ]);
  });

  it('makes one charge call when different billable events of a message arrive 20 at once', async () => {
    const id = buildDeliveryStatus().ncmessage_id;
    const items = Array.from({ length: 20 }, (_, i) =>
      buildDeliveryStatus({ ncmessage_id: id, status: ['sent', 'delivered', 'read', 'clicked'][i % 4], received_at: String(T0 + i) }),
    );
    await Promise.all(items.map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
    expect(sink.callsFor(id).map((c) => c.call)).toEqual(['charge']);
  });

  it('makes no second call when the listeners of an event run again', async () => {
    const items = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, items);
    for (const item of items) await redeliver(t, item);
    expect(sink.callsFor(items[0].ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void']);
  });

  it('voids a charge whose failure arrived while the charge call was still in progress', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    const states = t.app.get(DataSource).getRepository(NetcoreBillingState);
    const hold = sink.holdNext();
    await postSigned(t.app, buildWebhookPayload(sent)).expect(200);
    await hold.entered; // the charge is being made, decided before the failure existed
    await postSigned(t.app, buildWebhookPayload(failed)).expect(200);
    while (!(await states.findOneBy({ ncmessageId: sent.ncmessage_id }))?.failedAt) await new Promise((r) => setTimeout(r, 5));
    hold.release();
    await t.settle();
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void']);
  });

  it('takes over the sink call of a worker that crashed while holding a message (its claim expired)', async () => {
    const [sent, delivered] = lifecycle(['sent', 'delivered']);
    const states = t.app.get(DataSource).getRepository(NetcoreBillingState);
    await insertCrashedWorkerState(t, sent.ncmessage_id);
    await deliverOneByOne(t, [delivered]);
    // Not known whether its charge took effect: charged, and restored (a no-op on a charge never voided).
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'restore']);
    expect(sink.billedFor(sent.ncmessage_id)).toBe(true);
    expect(await states.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ notified: 'charged', claimToken: null });
  });

  describe('when a sink call outlasts its 30 s claim', () => {
    /** Posts `item` while the clock reads 31 s later (the running call's claim has run out), until it is processed. */
    async function postAfterTheClaimRanOut(item: NetcoreDeliveryStatusItem): Promise<void> {
      const inbox = t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
      const clock = Date.now;
      jest.spyOn(Date, 'now').mockImplementation(() => clock() + 31_000);
      try {
        await postSigned(t.app, buildWebhookPayload(item)).expect(200);
        await waitFor('the event to be processed', async () => (await inbox.findOneBy({ ncmessageId: item.ncmessage_id, status: item.status }))?.state === 'processed');
      } finally {
        jest.restoreAllMocks();
      }
    }

    it('voids the charge when the failure is processed meanwhile, and voids again once the slow charge returns', async () => {
      const [sent, failed] = lifecycle(['sent', 'failed']);
      const hold = sink.holdNext();
      await postSigned(t.app, buildWebhookPayload(sent)).expect(200);
      await hold.entered; // a slow billing API: the charge is still being made
      await postAfterTheClaimRanOut(failed);
      hold.release();
      await t.settle();
      // In the order the calls returned. The takeover cannot know whether the charge landed, so it voids; the
      // slow charge then lands after that void, so its worker voids once more, after it: the sink ends voided.
      expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['void', 'charge', 'void']);
      expect(sink.billedFor(sent.ncmessage_id)).toBe(false);
      const state = await t.app.get(DataSource).getRepository(NetcoreBillingState).findOneByOrFail({ ncmessageId: sent.ncmessage_id });
      // Voided without knowing whether there was a charge: no standing charge, maybe never one.
      expect(state).toMatchObject({ notified: 'uncharged', claimToken: null });
    });

    it('restores the charge when a delivery is processed during a slow void', async () => {
      const [sent, failed, delivered] = lifecycle(['sent', 'failed', 'delivered']);
      await deliverOneByOne(t, [sent]);
      const hold = sink.holdNext();
      await postSigned(t.app, buildWebhookPayload(failed)).expect(200);
      await hold.entered;
      await postAfterTheClaimRanOut(delivered);
      hold.release();
      await t.settle();
      // In the order the calls returned: the takeover, not knowing what the slow void did, charges and restores;
      // the slow void lands after that, and its worker charges and restores once more.
      expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'charge', 'restore', 'void', 'charge', 'restore']);
      expect(sink.billedFor(sent.ncmessage_id)).toBe(true);
      const state = await t.app.get(DataSource).getRepository(NetcoreBillingState).findOneByOrFail({ ncmessageId: sent.ncmessage_id });
      expect(state).toMatchObject({ notified: 'charged', claimToken: null });
    });
    it('voids when the slow charge lands after the takeover and then throws (a client timeout)', async () => {
      const [sent, failed] = lifecycle(['sent', 'failed']);
      const hold = sink.holdNext();
      await postSigned(t.app, buildWebhookPayload(sent)).expect(200);
      await hold.entered;
      await postAfterTheClaimRanOut(failed);
      sink.failAfterNext = 1;
      hold.release();
      await t.settle();
      // Its event failed; the message is recorded as not known, so the retry voids again.
      const states = t.app.get(DataSource).getRepository(NetcoreBillingState);
      expect(await states.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ notified: 'unknown' });
      await redeliver(t, sent);
      expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['void', 'charge', 'void']);
      expect(sink.billedFor(sent.ncmessage_id)).toBe(false);
    });
  });

  it('voids a charge whose call took effect but threw, when the failure comes', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    sink.failAfterNext = 1;
    await deliverOneByOne(t, [sent]); // charged at the host, but the module saw an error: not known
    const states = t.app.get(DataSource).getRepository(NetcoreBillingState);
    expect(await states.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ notified: 'calling', claimToken: null });
    await deliverOneByOne(t, [failed]);
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void']);
    expect(sink.billedFor(sent.ncmessage_id)).toBe(false);
    expect(await states.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ notified: 'uncharged' });
  });

  it('charges a message whose charge threw before taking effect, when a failure and then a delivery follow', async () => {
    const [sent, failed, delivered] = lifecycle(['sent', 'failed', 'delivered']);
    sink.failNext = 1;
    await deliverOneByOne(t, [sent]); // the host was down: nothing charged, not known
    await deliverOneByOne(t, [failed]); // voids, not knowing whether there was a charge
    await deliverOneByOne(t, [delivered]);
    expect(sink.callsFor(sent.ncmessage_id)).toEqual([
      { call: 'void', args: expect.objectContaining({ ncmessageId: sent.ncmessage_id }) },
      { call: 'charge', args: expect.objectContaining({ ncmessageId: sent.ncmessage_id }) },
      { call: 'restore', args: { ncmessageId: sent.ncmessage_id, deliveredAt: new Date(AT.delivered * 1000) } },
    ]);
    expect(sink.billedFor(sent.ncmessage_id)).toBe(true);
  });

  describe('when an event is processed again after its worker died', () => {
    const afterCrash = (item: NetcoreDeliveryStatusItem) =>
      processAgain(t.app, { ncmessageId: item.ncmessage_id, status: item.status }, { crashed: true });

    it('charges again a message whose late void landed without being recorded', async () => {
      const [sent, delivered] = lifecycle(['sent', 'delivered']);
      await deliverOneByOne(t, [sent, delivered]);
      // A worker's slow void landed, then it died before recording anything: the module says charged.
      await sink.void({ ncmessageId: sent.ncmessage_id, reason: 'late', voidedAt: new Date(AT.sent * 1000) });
      await afterCrash(delivered);
      expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void', 'charge', 'restore']);
      expect(sink.billedFor(sent.ncmessage_id)).toBe(true);
    });

    it('voids again a message whose late charge landed without being recorded', async () => {
      const [sent, failed] = lifecycle(['sent', 'failed']);
      await deliverOneByOne(t, [sent, failed]);
      await sink.charge({ ncmessageId: sent.ncmessage_id, category: 'marketing', pricingModel: 'PMP', pricingType: 'regular', chargedAt: new Date(AT.sent * 1000) });
      await afterCrash(failed);
      expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void', 'charge', 'void']);
      expect(sink.billedFor(sent.ncmessage_id)).toBe(false);
    });
  });

  it('restores the charge when a delivery follows two workers that each called and failed to record it', async () => {
    const [sent, failed, delivered] = lifecycle(['sent', 'failed', 'delivered']);
    sink.failAfterNext = 1;
    await deliverOneByOne(t, [sent]); // charge took effect, not recorded
    sink.failAfterNext = 1;
    await deliverOneByOne(t, [failed]); // void took effect, not recorded: the host holds a voided charge
    await deliverOneByOne(t, [delivered]);
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void', 'charge', 'restore']);
    expect(sink.billedFor(sent.ncmessage_id)).toBe(true);
  });

  it('voids a charge that a crashed worker made without recording it, when the failure comes later', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    const states = t.app.get(DataSource).getRepository(NetcoreBillingState);
    // The worker claimed the message, told the sink charge(), and died before recording it.
    await insertCrashedWorkerState(t, sent.ncmessage_id);
    await sink.charge({ ncmessageId: sent.ncmessage_id, category: 'marketing', pricingModel: 'PMP', pricingType: 'regular', chargedAt: new Date(AT.sent * 1000) });
    await deliverOneByOne(t, [failed]);
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void']);
    expect(await states.findOneByOrFail({ ncmessageId: sent.ncmessage_id })).toMatchObject({ notified: 'uncharged', claimToken: null });
  });

  it('renews its claims during a long run of sink calls and skips a message another worker took over meanwhile', async () => {
    const [a] = lifecycle(['sent']);
    const [b] = lifecycle(['sent']);
    const states = t.app.get(DataSource).getRepository(NetcoreBillingState);
    const hold = sink.holdNext();
    await postSigned(t.app, buildWebhookPayload(a, b)).expect(200);
    const first = await hold.entered; // both messages are claimed; the first charge is in progress
    const other = first.args.ncmessageId === a.ncmessage_id ? b.ncmessage_id : a.ncmessage_id;
    const clock = Date.now;
    // The call outlasts a third of the claim (10 s), and meanwhile another worker holds the other message.
    jest.spyOn(Date, 'now').mockImplementation(() => clock() + 11_000);
    await states.update({ ncmessageId: other }, { claimToken: 'other-worker', claimedUntil: new Date(clock() + 60_000) });
    try {
      hold.release();
      await t.settle();
    } finally {
      jest.restoreAllMocks();
    }
    expect(sink.callsFor(first.args.ncmessageId).map((c) => c.call)).toEqual(['charge']);
    expect(sink.callsFor(other)).toEqual([]); // its new holder charges it, not this worker's stale plan
    expect(await states.findOneByOrFail({ ncmessageId: first.args.ncmessageId })).toMatchObject({ notified: 'charged', claimToken: null });
    expect(await states.findOneByOrFail({ ncmessageId: other })).toMatchObject({ claimToken: 'other-worker' });
  });

  it('runs a batch whose sink call failed again event by event: every message of the batch is charged, once', async () => {
    const messages = Array.from({ length: 10 }, () => lifecycle(['sent', 'delivered']));
    sink.failNext = 1;
    await postSigned(t.app, buildWebhookPayload(...messages.flat())).expect(200);
    await t.settle();
    for (const [sent] of messages) {
      expect(sink.callsFor(sent.ncmessage_id).filter((c) => c.call === 'charge')).toHaveLength(1);
      expect(sink.billedFor(sent.ncmessage_id)).toBe(true);
    }
    // The message whose call threw is not known to have been charged: it is also restored (a no-op); the others
    // were never called before the batch failed, and get their one charge.
    expect(messages.filter(([sent]) => sink.callsFor(sent.ncmessage_id).length > 1)).toHaveLength(1);
    const inbox = t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
    const states = await inbox.findBy({ ncmessageId: In(messages.map(([sent]) => sent.ncmessage_id)) });
    expect(states.map((row) => row.state)).toEqual(Array(20).fill('processed'));
  });

  it('fails only the events of the message whose sink call keeps failing; the rest of its batch is processed', async () => {
    const messages = Array.from({ length: 5 }, () => lifecycle(['sent', 'read']));
    const refused = messages[2][0].ncmessage_id;
    sink.failFor.add(refused);
    await postSigned(t.app, buildWebhookPayload(...messages.flat())).expect(200);
    await t.settle();
    const inbox = t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
    for (const [sent] of messages) {
      const rows = await inbox.findBy({ ncmessageId: sent.ncmessage_id });
      const refusedOne = sent.ncmessage_id === refused;
      expect(rows.map((row) => row.state)).toEqual(refusedOne ? ['failed', 'failed'] : ['processed', 'processed']);
      expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(refusedOne ? [] : ['charge']);
    }
  });

  it('records the sink failure on the inbox row instead of marking it processed, and charges when the event is retried', async () => {
    const [sent] = lifecycle(['sent']);
    // Refused for this message only: an earlier test's retries running meanwhile cannot take the failure.
    sink.failFor.add(sent.ncmessage_id);
    await deliverOneByOne(t, [sent]);
    sink.failFor.delete(sent.ncmessage_id);
    const inbox = t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
    const row = await inbox.findOneByOrFail({ ncmessageId: sent.ncmessage_id });
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row.lastError).toMatch(/host billing service refuses/);
    expect(sink.callsFor(sent.ncmessage_id)).toEqual([]);
    await redeliver(t, sent);
    await redeliver(t, sent);
    // The failed call threw: charged when retried (a no-op had it taken effect), and once known, not again.
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge']);
  });
});

describe.each(DATABASES)('billing through a host sink that takes calls together (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind, { extras: { billingSink: { useClass: BatchingBillingSink } } });
  });
  afterAll(() => t?.close());

  it('passes the charges, the voids and the restores of a batch in one call each', async () => {
    const sink: BatchingBillingSink = t.app.get(NetcoreBillingSink);
    const lifecycles = [0, 1, 2].map(() => lifecycle(['sent', 'failed', 'delivered']));
    const ids = lifecycles.map((items) => items[0].ncmessage_id).sort();
    for (const step of [0, 1, 2]) {
      await postSigned(t.app, buildWebhookPayload(...lifecycles.map((items) => items[step]))).expect(200);
      await t.settle();
    }
    expect(sink.batches.map((b) => ({ call: b.call, ncmessageIds: [...b.ncmessageIds].sort() }))).toEqual([
      { call: 'charge', ncmessageIds: ids },
      { call: 'void', ncmessageIds: ids },
      { call: 'restore', ncmessageIds: ids },
    ]);
    for (const id of ids) expect(sink.callsFor(id).map((c) => c.call)).toEqual(['charge', 'void', 'restore']);
  });

  it('still makes a single call through the one-by-one method', async () => {
    const sink: BatchingBillingSink = t.app.get(NetcoreBillingSink);
    const before = sink.batches.length;
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent, failed]);
    expect(sink.batches.length).toBe(before);
    expect(sink.callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge', 'void']);
  });
});

describe.each(DATABASES)('swapping the billing sink with one option (%s)', (kind) => {
  it('takes useExisting from a host module with forRootAsync', async () => {
    const t = await startHostApp(kind, {
      registration: 'forRootAsync',
      extras: { billingSink: { useExisting: RecordingBillingSink, imports: [HostSinksModule] } },
    });
    try {
      const [read] = lifecycle(['read']);
      await deliverOneByOne(t, [read]);
      expect(t.app.get(RecordingBillingSink).callsFor(read.ncmessage_id).map((c) => c.call)).toEqual(['charge']);
    } finally {
      await t.close();
    }
  });

  it('takes useFactory with inject', async () => {
    const t = await startHostApp(kind, {
      extras: {
        billingSink: { imports: [HostSinksModule], inject: [RecordingBillingSink], useFactory: (inner: RecordingBillingSink) => inner },
      },
    });
    try {
      const [sent] = lifecycle(['sent']);
      await deliverOneByOne(t, [sent]);
      expect(t.app.get(RecordingBillingSink).callsFor(sent.ncmessage_id).map((c) => c.call)).toEqual(['charge']);
    } finally {
      await t.close();
    }
  });
});

describe('declaring a sink option', () => {
  it.each([
    [{}, /'billingSink' must have exactly one of useClass, useExisting or useFactory/],
    [{ useClass: RecordingBillingSink, useExisting: RecordingBillingSink }, /'billingSink' must have exactly one of useClass, useExisting or useFactory \(got useClass, useExisting\)/],
    [{ useFactory: 'not a function' }, /'billingSink.useFactory' must be a function/],
  ])('refuses %p at declaration, naming the option', (billingSink, message) => {
    expect(() =>
      NetcoreWebhooksModule.forRoot({ verification: { scheme: 'none' }, billingSink: billingSink as never }),
    ).toThrow(message);
  });
});
