import request from 'supertest';
import { NetcoreBillingService, NetcoreDeadLetterService, NetcoreInboxService, NetcoreMessageService, NetcoreWebhooksModule, type NetcoreBillingRecord } from '../src';
import { NETCORE_SAMPLE_PAYLOADS, buildDeliveryStatus, buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { HostSinksModule, RecordingBillingSink } from './fixtures/recording-sinks';
import { byMessage, expectedCommandsOneByOne, expectedRow, randomLifecycles, shuffled, type ExpectedRow } from './support/billing-model';
import { CapturingLogger } from './support/capturing-logger';
import { insertValidationLetter } from './support/dead-letters';
import { processAgain } from './support/inbox-rows';
import { AT, REMARK, T0, lifecycle, permutations } from './support/lifecycle';
import { seededRandom } from './support/simulated-day';
import { startHostApp, type TestApp } from './support/test-app';
import { deadCharge, startWithRecordingSink } from './support/recording-sink-app';
import { DATABASES } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { WEBHOOK_PATH, postSigned } from './support/webhook-client';

const FOUR = permutations(['sent', 'delivered', 'read', 'failed']);
const DAY_MS = 86_400_000;

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

/** The public fields of a ledger row (`updatedAt` says when it was written, not what it says). */
function publicRow(row: NetcoreBillingRecord | null): ExpectedRow | null {
  if (!row) return null;
  const { ncmessageId, category, pricingModel, pricingType, chargedAt, state, voidedAt, voidReason } = row;
  return { ncmessageId, category, pricingModel, pricingType, chargedAt, state, voidedAt, voidReason };
}

/** How the same events may reach the module. */
const DELIVERIES: [name: string, send: (t: TestApp, items: NetcoreDeliveryStatusItem[], random: () => number) => Promise<void>][] = [
  ['in one batch', async (t, items) => {
    await postSigned(t.app, buildWebhookPayload(...items)).expect(200);
    await t.settle();
  }],
  ['one per request', (t, items) => deliverOneByOne(t, items)],
  ['one per request, reversed', (t, items) => deliverOneByOne(t, [...items].reverse())],
  ['shuffled, in batches of 7', async (t, items, random) => {
    const order = shuffled(items, random);
    for (let i = 0; i < order.length; i += 7) {
      await postSigned(t.app, buildWebhookPayload(...order.slice(i, i + 7))).expect(200);
      await t.settle();
    }
  }],
  ['shuffled, all requests at once, each event twice', async (t, items, random) => {
    await Promise.all(shuffled([...items, ...items], random).map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
  }],
];

describe.each(DATABASES)('billing with the default ledger (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind, {}, { logger: new CapturingLogger() });
  });
  afterAll(() => t?.close());

  const billing = () => t.app.get(NetcoreBillingService);
  const rowOf = async (ncmessageId: string) => publicRow(await billing().findOne(ncmessageId));

  it("charges Netcore's billable samples once and never the non-billable or failed ones", async () => {
    for (const payload of Object.values(NETCORE_SAMPLE_PAYLOADS)) await postSigned(t.app, payload).expect(200);
    for (const payload of Object.values(NETCORE_SAMPLE_PAYLOADS)) await postSigned(t.app, payload).expect(200); // retried by Netcore
    await t.settle();
    const { read, sent, delivered, failed } = NETCORE_SAMPLE_PAYLOADS;
    expect(await rowOf(read.delivery_status[0].ncmessage_id)).toEqual({
      ncmessageId: read.delivery_status[0].ncmessage_id,
      category: 'marketing',
      pricingModel: 'PMP',
      pricingType: 'regular',
      chargedAt: new Date(1764693401000),
      state: 'charged',
      voidedAt: null,
      voidReason: null,
    });
    expect(await rowOf(sent.delivery_status[0].ncmessage_id)).toMatchObject({ category: 'marketing_lite', chargedAt: new Date(1764585991000), state: 'charged' });
    expect(await billing().findOne(delivered.delivery_status[0].ncmessage_id)).toBeNull();
    expect(await billing().findOne(failed.delivery_status[0].ncmessage_id)).toBeNull();
  });

  describe.each(FOUR)('sent/delivered/read/failed arriving as %s, %s, %s, %s', (...order) => {
    it('ends with one charge from the earliest billable event, not voided', async () => {
      const items = lifecycle(order);
      await deliverOneByOne(t, items);
      expect(await rowOf(items[0].ncmessage_id)).toMatchObject({ state: 'charged', chargedAt: new Date(AT.sent * 1000), voidedAt: null, voidReason: null });
    });
  });

  it.each([
    ['sent, failed', ['sent', 'failed']],
    ['failed, sent', ['failed', 'sent']],
  ])('voids the charge of a billable message that failed without delivery (%s), with the remark as reason', async (_name, order) => {
    const items = lifecycle(order);
    await deliverOneByOne(t, items);
    expect(await rowOf(items[0].ncmessage_id)).toMatchObject({
      state: 'voided',
      chargedAt: new Date(AT.sent * 1000),
      voidedAt: new Date(AT.failed * 1000),
      voidReason: REMARK,
    });
  });

  it("moves an entry's updatedAt when the entry changes, not for events that leave it as it was", async () => {
    const [sent, delivered, read, failed] = lifecycle(['sent', 'delivered', 'read', 'failed']);
    await deliverOneByOne(t, [sent]);
    const charged = (await billing().findOne(sent.ncmessage_id))!.updatedAt;
    await deliverOneByOne(t, [delivered, read, failed]);
    expect(await billing().findOne(sent.ncmessage_id)).toMatchObject({ state: 'charged', updatedAt: charged });

    const [other, otherFailed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [other]);
    const before = (await billing().findOne(other.ncmessage_id))!.updatedAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await deliverOneByOne(t, [otherFailed]);
    const voided = (await billing().findOne(other.ncmessage_id))!;
    expect(voided.state).toBe('voided');
    expect(voided.updatedAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it('restores a voided charge when delivered arrives after the failure', async () => {
    const items = lifecycle(['sent', 'failed', 'delivered']);
    await deliverOneByOne(t, items.slice(0, 2));
    expect((await rowOf(items[0].ncmessage_id))?.state).toBe('voided');
    await deliverOneByOne(t, items.slice(2));
    expect(await rowOf(items[0].ncmessage_id)).toMatchObject({ state: 'charged', chargedAt: new Date(AT.sent * 1000), voidedAt: null, voidReason: null });
  });

  it('keeps the pricing and time of the earliest billable event, whichever arrived first', async () => {
    const id = buildDeliveryStatus().ncmessage_id;
    const pricing = (category: string) => ({ billable: true, category, pricing_model: 'PMP', type: 'regular' });
    const read = buildDeliveryStatus({ ncmessage_id: id, status: 'read', received_at: String(AT.read), pricing: pricing('utility') });
    const sent = buildDeliveryStatus({ ncmessage_id: id, status: 'sent', received_at: String(AT.sent), pricing: pricing('marketing_lite') });
    await deliverOneByOne(t, [read, sent]);
    expect(await rowOf(id)).toMatchObject({ category: 'marketing_lite', chargedAt: new Date(AT.sent * 1000), state: 'charged' });
  });

  it('voids with the remark of the earliest failure', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    const earlier = { ...failed, received_at: String(AT.failed - 30), status_remark: 'Number not on WhatsApp' };
    await deliverOneByOne(t, [sent, failed, earlier]);
    expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'voided', voidedAt: new Date((AT.failed - 30) * 1000), voidReason: 'Number not on WhatsApp' });
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
    expect(await rowOf(item.ncmessage_id)).toMatchObject({ state: 'charged', chargedAt: new Date(T0 * 1000) });
  });

  it('ends exact when the lifecycles of 30 messages arrive in concurrent requests', async () => {
    const shapes = [['failed', 'sent'], ['sent', 'failed', 'read'], ['read', 'sent', 'delivered']];
    const messages = Array.from({ length: 30 }, (_, i) => lifecycle(shapes[i % 3]));
    await Promise.all(messages.flat().map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
    for (const items of messages) expect(await rowOf(items[0].ncmessage_id)).toEqual(expectedRow(items));
  });

  it('writes the same row when the events of a message are processed again (redelivery)', async () => {
    const items = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, items);
    const before = await rowOf(items[0].ncmessage_id);
    await redeliver(t, items[0]);
    await redeliver(t, items[1]);
    expect(await rowOf(items[0].ncmessage_id)).toEqual(before);
    expect(before).toMatchObject({ state: 'voided', voidReason: REMARK });
  });

  it('voids the charge of a message whose failed event carries a source longer than the analytics columns', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent]);
    await deliverOneByOne(t, [{ ...failed, source: 's'.repeat(200) }]);
    expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'voided' });
  });

  describe('pricing left out of failed, delivered and read events', () => {
    it.each([
      ['a category longer than its column', { billable: true, category: 'c'.repeat(65), pricing_model: 'PMP', type: 'regular' }],
      ['billable as a string', { billable: 'yes' }],
      ['a NUL in its pricing model', { billable: false, pricing_model: 'P\u0000MP' }],
      ['pricing that is not an object', 'marketing'],
    ])('voids the charge of a message whose failed event carries invalid pricing (%s) instead of refusing the event', async (_case, pricing) => {
      const [sent, failed] = lifecycle(['sent', 'failed']);
      await deliverOneByOne(t, [sent]);
      expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'charged' });
      // Not the typed shape: what a sender might put on the wire.
      const res = await postSigned(t.app, buildWebhookPayload({ ...failed, pricing: pricing as never })).expect(200);
      expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'voided', voidReason: REMARK });
      expect(t.recorder.received.filter((r) => r.event.ncmessageId === sent.ncmessage_id).map((r) => r.name)).toEqual(['message.sent', 'message.failed']);
    });

    it.each(['delivered', 'read'])('keeps the charge of a message whose %s event carried invalid pricing when a failure follows', async (status) => {
      const [sent, delivery, failed] = lifecycle(['sent', status, 'failed']);
      await deliverOneByOne(t, [sent]);
      const res = await postSigned(t.app, buildWebhookPayload({ ...delivery, pricing: { billable: 'false' } as never })).expect(200);
      expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      await deliverOneByOne(t, [failed]);
      // The delivery counts whatever its pricing: delivered outranks failed, so the charge stands.
      expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'charged' });
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
      expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'voided', voidReason: '' });
    });

    it('makes no charge from a delivered event whose invalid pricing was left out', async () => {
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
      expect(await rowOf(sent.ncmessage_id)).toMatchObject({ state: 'voided' });
    });

    it('still refuses a billable event whose pricing is invalid (a charge needs its pricing)', async () => {
      const [sent] = lifecycle(['sent']);
      const res = await postSigned(t.app, buildWebhookPayload({ ...sent, pricing: { billable: true, category: 'c'.repeat(65) } })).expect(200);
      expect(res.body).toEqual({ accepted: 0, duplicates: 0, rejected: 1 });
      await t.settle();
      expect(await billing().findOne(sent.ncmessage_id)).toBeNull();
    });
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

  describe('the ledger depends only on which events arrived, not on their timing or grouping', () => {
    // Each way of sending gets its own messages, days apart: rows are compared without those differences.
    const START = 1_600_000_000;
    const shift = (variant: number) => variant * 10 * 86_400;

    /** The same events for variant `v`: ids prefixed, instants moved by `v` times ten days. */
    function instance(items: NetcoreDeliveryStatusItem[], prefix: string, variant: number): NetcoreDeliveryStatusItem[] {
      return items.map((item) => ({ ...item, ncmessage_id: `${prefix}-${variant}-${item.ncmessage_id}`, received_at: String(Number(item.received_at) + shift(variant)) }));
    }

    /** The rows of the variant's messages as variant 0 would have them, and its totals over its days. */
    async function ledgerOf(items: NetcoreDeliveryStatusItem[], prefix: string, variant: number) {
      const rows = [];
      for (const id of byMessage(items).keys()) {
        const row = await rowOf(`${prefix}-${variant}-${id}`);
        const moved = (d: Date | null) => (d ? new Date(d.getTime() - shift(variant) * 1000) : null);
        rows.push(row && { ...row, ncmessageId: id, chargedAt: moved(row.chargedAt)!, voidedAt: moved(row.voidedAt) });
      }
      const from = new Date((START + shift(variant)) * 1000);
      const totals = await billing().totals({ from, to: new Date(from.getTime() + 5 * DAY_MS) });
      return { rows, totals };
    }

    it("gives a billable sent then a failed one voided row and the same totals, however they arrive (the issue's example)", async () => {
      const sent = buildDeliveryStatus({ ncmessage_id: 'm', status: 'sent', received_at: String(START) });
      const failed = buildDeliveryStatus({ ncmessage_id: 'm', status: 'failed', received_at: String(START + 60), status_remark: REMARK });
      const prefix = `example-${Date.now().toString(36)}`;
      const ways: ((items: NetcoreDeliveryStatusItem[]) => Promise<void>)[] = [
        (items) => deliverOneByOne(t, items),
        (items) => deliverOneByOne(t, [...items].reverse()),
        async (items) => void (await postSigned(t.app, buildWebhookPayload(...items)).expect(200)),
        async (items) => void (await postSigned(t.app, buildWebhookPayload(...[...items].reverse())).expect(200)),
        async (items) => void (await Promise.all(items.map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)))),
      ];
      for (const [variant, send] of ways.entries()) await send(instance([sent, failed], prefix, variant));
      await t.settle();
      for (const variant of ways.keys()) {
        expect({ variant, ...(await ledgerOf([sent], prefix, variant)) }).toEqual({
          variant,
          rows: [{ ncmessageId: 'm', category: 'marketing', pricingModel: 'PMP', pricingType: 'regular', chargedAt: new Date(START * 1000), state: 'voided', voidedAt: new Date((START + 60) * 1000), voidReason: REMARK }],
          totals: [{ category: 'marketing', pricingModel: 'PMP', charged: 1, voided: 1, net: 0 }],
        });
      }
    });

    it('gives 40 random lifecycles the rows of the rules and the same totals, sent in one batch, one by one, reversed, shuffled or all at once', async () => {
      const seed = 17;
      const random = seededRandom(seed);
      const items = randomLifecycles(random, 40, 'r', START);
      const expected = [...byMessage(items).values()].map((events) => expectedRow(events));
      expect(expected.filter((row) => row?.state === 'voided').length).toBeGreaterThan(0);
      expect(expected.filter((row) => row === null).length).toBeGreaterThan(0);
      const prefix = `random-${Date.now().toString(36)}`;
      const ledgers = [];
      for (const [variant, [name, send]] of DELIVERIES.entries()) {
        await send(t, instance(items, prefix, variant), seededRandom(seed + variant));
        ledgers.push({ name, ...(await ledgerOf(items, prefix, variant)) });
      }
      const [first] = ledgers;
      expect(first.rows).toEqual(expected);
      for (const ledger of ledgers) expect(ledger).toEqual({ ...first, name: ledger.name });
    });
  });
});

describe.each(DATABASES)('billing through a host-provided sink (%s)', (kind) => {
  const ADMIN_TOKEN = 'admin-token-for-billing-tests-0123';
  let t: TestApp;
  let sink: RecordingBillingSink;
  let logger: CapturingLogger;
  beforeAll(async () => {
    ({ t, sink, logger } = await startWithRecordingSink(kind, { admin: { token: ADMIN_TOKEN }, retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50 }, recovery: { sweepIntervalMs: 20 } }));
  });
  afterAll(() => t?.close());
  afterEach(async () => {
    // Whatever a test left owing (a retry due later) is sent before the next test changes the faults.
    sink.failNext = 0;
    sink.failAfterNext = 0;
    sink.failFor.clear();
    await waitFor('the sink to be owed nothing', async () => {
      await t.settle();
      return sink.owing === 0 && sink.inFlight === 0;
    }, { timeoutMs: 10_000 });
  });

  const kindsFor = (id: string) => sink.callsFor(id).map((c) => c.call);
  const receivedFor = (id: string) => sink.received.filter((c) => c.args.ncmessageId === id).map((c) => `${c.call} ${c.args.idempotencyKey}`);

  it('uses the host sink instead of the ledger, with the idempotency key <ncmessageId>:<kind>', async () => {
    expect(sink).toBeInstanceOf(RecordingBillingSink);
    const [sent] = lifecycle(['sent']);
    await deliverOneByOne(t, [sent]);
    expect(await t.app.get(NetcoreBillingService).findOne(sent.ncmessage_id)).toBeNull();
    const id = sent.ncmessage_id;
    expect(sink.callsFor(id)).toEqual([
      { call: 'charge', args: { idempotencyKey: `${id}:charge`, ncmessageId: id, category: 'marketing', pricingModel: 'PMP', pricingType: 'regular', chargedAt: new Date(AT.sent * 1000) } },
    ]);
  });

  it.each(FOUR)('receives the commands the rules call for, in order, when events arrive as %s, %s, %s, %s', async (...order) => {
    const items = lifecycle(order);
    await deliverOneByOne(t, items);
    const id = items[0].ncmessage_id;
    const commands = expectedCommandsOneByOne(items);
    expect(receivedFor(id)).toEqual(commands.map((kind) => `${kind} ${id}:${kind}`));
    expect(sink.stateOf(id)).toBe(expectedRow(items)!.state);
  });

  it('is told charge, void (with the remark) and restore for sent, failed, delivered', async () => {
    const items = lifecycle(['sent', 'failed', 'delivered']);
    await deliverOneByOne(t, items);
    const id = items[0].ncmessage_id;
    expect(sink.callsFor(id)).toEqual([
      { call: 'charge', args: expect.objectContaining({ idempotencyKey: `${id}:charge`, ncmessageId: id }) },
      { call: 'void', args: { idempotencyKey: `${id}:void`, ncmessageId: id, reason: REMARK, voidedAt: new Date(AT.failed * 1000) } },
      { call: 'restore', args: { idempotencyKey: `${id}:restore`, ncmessageId: id, deliveredAt: new Date(AT.delivered * 1000) } },
    ]);
  });

  it.each([
    ['one per request', async (items: NetcoreDeliveryStatusItem[]) => deliverOneByOne(t, items)],
    ['in one batch', async (items: NetcoreDeliveryStatusItem[]) => {
      await postSigned(t.app, buildWebhookPayload(...items)).expect(200);
      await t.settle();
    }],
  ])('charges, then voids, a message whose failure arrived before its billable sent (%s)', async (_name, send) => {
    const items = lifecycle(['failed', 'sent']);
    await send(items);
    const id = items[0].ncmessage_id;
    expect(receivedFor(id)).toEqual([`charge ${id}:charge`, `void ${id}:void`]);
    expect(sink.stateOf(id)).toBe('voided');
  });

  it('is told void when the failed event carries invalid pricing (the pricing is left out, not the event)', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, [sent, { ...failed, pricing: { billable: 'yes' } as never }]);
    const id = sent.ncmessage_id;
    expect(sink.callsFor(id)).toEqual([
      { call: 'charge', args: expect.objectContaining({ ncmessageId: id }) },
      { call: 'void', args: { idempotencyKey: `${id}:void`, ncmessageId: id, reason: REMARK, voidedAt: new Date(AT.failed * 1000) } },
    ]);
  });

  it('makes one charge call when different billable events of a message arrive 20 at once', async () => {
    const id = buildDeliveryStatus().ncmessage_id;
    const items = Array.from({ length: 20 }, (_, i) =>
      buildDeliveryStatus({ ncmessage_id: id, status: ['sent', 'delivered', 'read', 'clicked'][i % 4], received_at: String(T0 + i) }),
    );
    await Promise.all(items.map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
    expect(receivedFor(id)).toEqual([`charge ${id}:charge`]);
  });

  it('sends nothing again when the events of a message are processed again (redelivery)', async () => {
    const items = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, items);
    for (const item of items) await redeliver(t, item);
    const id = items[0].ncmessage_id;
    expect(receivedFor(id)).toEqual([`charge ${id}:charge`, `void ${id}:void`]);
  });

  it('voids after a slow charge returns when the failure came while it was in progress', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    const hold = sink.holdNext();
    await postSigned(t.app, buildWebhookPayload(sent)).expect(200);
    await hold.entered; // the charge is being made
    const posting = postSigned(t.app, buildWebhookPayload(failed)).expect(200);
    // On SQLite sink calls run alone on TypeORM's one connection: the failure is stored once the charge returned.
    if (kind === 'postgres') await posting;
    hold.release();
    await posting;
    await t.settle();
    expect(kindsFor(sent.ncmessage_id)).toEqual(['charge', 'void']);
  });

  it('retries a call that threw before taking effect, with the same key; the event is processed once and its listener runs once', async () => {
    const [sent] = lifecycle(['sent']);
    const id = sent.ncmessage_id;
    sink.failNext = 1;
    await deliverOneByOne(t, [sent]);
    await waitFor('the charge to be retried', () => sink.callsFor(id).length === 1);
    expect(receivedFor(id)).toEqual([`charge ${id}:charge`, `charge ${id}:charge`]);
    expect(t.recorder.received.filter((r) => r.event.ncmessageId === id).map((r) => r.name)).toEqual(['message.sent']);
    expect(await t.app.get(NetcoreInboxService).stats()).toMatchObject({ failed: 0, dead: 0 });
  });

  it('sends a call that took effect and then threw again with the same key; the sink applies it once', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    const id = sent.ncmessage_id;
    sink.failAfterNext = 1;
    await deliverOneByOne(t, [sent]);
    await waitFor('the charge to be sent again', () => receivedFor(id).length === 2);
    await deliverOneByOne(t, [failed]);
    expect(receivedFor(id)).toEqual([`charge ${id}:charge`, `charge ${id}:charge`, `void ${id}:void`]);
    expect(kindsFor(id)).toEqual(['charge', 'void']);
    expect(sink.stateOf(id)).toBe('voided');
  });

  it('keeps the order of a message when its first command fails: the void waits for the charge', async () => {
    const items = lifecycle(['sent', 'failed']);
    const id = items[0].ncmessage_id;
    sink.failNext = 1;
    await postSigned(t.app, buildWebhookPayload(...items)).expect(200);
    await t.settle();
    await waitFor('both commands to be sent', () => sink.callsFor(id).length === 2);
    expect(receivedFor(id)).toEqual([`charge ${id}:charge`, `charge ${id}:charge`, `void ${id}:void`]);
  });

  it('keeps a command that keeps failing as a billing dead letter, holds the later commands, and sends them all after a replay through the admin API', async () => {
    const items = lifecycle(['sent', 'failed']);
    const id = items[0].ncmessage_id;
    const letter = await deadCharge({ t, sink, logger }, items);
    expect(receivedFor(id)).toEqual(Array(4).fill(`charge ${id}:charge`));
    expect(logger.text()).toMatch(new RegExp(`error .*Billing sink failed on ${id}:charge on attempt 4; moved to the dead letters: host billing service refuses`));
    // The event itself was processed once: a sink outage is billing's, not the inbox's.
    expect(t.recorder.received.filter((r) => r.event.ncmessageId === id).map((r) => r.name).sort()).toEqual(['message.failed', 'message.sent']);
    expect(await t.app.get(NetcoreInboxService).stats()).toMatchObject({ failed: 0, dead: 0 });

    sink.failFor.delete(id);
    const admin = request(t.app.getHttpServer());
    const replayed = await admin.post(`${WEBHOOK_PATH}/dead-letters/${letter.id}/replay`).set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(replayed.body).toEqual({ id: letter.id, outcome: 'replayed' });
    await waitFor('the void to follow', () => sink.callsFor(id).length === 2);
    expect(kindsFor(id)).toEqual(['charge', 'void']);
    expect((await t.app.get(NetcoreDeadLetterService).show(letter.id))?.state).toBe('replayed');
  });

  // Fails today: the admin controller's REASONS lists 'validation' and 'processing' only, so ?reason=billing is a 400.
  // Turn into it() once src/netcore-webhooks/dead-letters/netcore-dead-letters.controller.ts has 'billing' in REASONS.
  it('lists billing dead letters through the admin API (?reason=billing)', async () => {
    const res = await request(t.app.getHttpServer()).get(`${WEBHOOK_PATH}/dead-letters?reason=billing`).set('authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
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
