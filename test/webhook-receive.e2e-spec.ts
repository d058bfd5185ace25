import request from 'supertest';
import { DataSource } from 'typeorm';
import { NetcoreDeadLetter, NetcoreMessageService, NetcoreWebhookEvent } from '../src';
import {
  NETCORE_SAMPLE_PAYLOADS,
  buildDeliveryStatus,
  buildWebhookPayload,
  signNetcorePayload,
} from '../src/testing';
import type { Registration } from './fixtures/host-app.module';
import { ADAPTERS, startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { TEST_SECRET, WEBHOOK_PATH, postSigned } from './support/webhook-client';
import { storedEvent } from './support/inbox-rows';

const variants = ADAPTERS.flatMap((adapter) =>
  DATABASES.flatMap((db) => (['forRoot', 'forRootAsync'] as Registration[]).map((r) => [adapter, db, r] as const)),
);

describe.each(variants)('receiving webhooks (%s, %s, %s)', (adapter, kind, registration) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind, { registration, webhooks: { maxBatchSize: 50 } }, { adapter });
  });
  afterAll(() => t?.close());
  beforeEach(() => t.resetRecording());

  const inbox = () => t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
  const deadLetters = () => t.app.get(DataSource).getRepository(NetcoreDeadLetter);
  const messages = () => t.app.get(NetcoreMessageService);

  describe("Netcore's four sample payloads", () => {
    it.each(Object.entries(NETCORE_SAMPLE_PAYLOADS))('accepts the %s sample, stores it and emits one event', async (status, payload) => {
      await postSigned(t.app, payload).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      const item = payload.delivery_status[0];
      expect(t.recorder.names()).toEqual([`message.${status}`]);
      const event = t.recorder.received[0].event;
      expect(event).toMatchObject({
        ncmessageId: item.ncmessage_id,
        status,
        receivedAt: new Date(Number(item.received_at) * 1000),
        recipient: item.recipient,
        phoneNumber: item.phoneNumber,
        source: item.source,
        statusRemark: item.status_remark,
        apiHeader: item['x-apiheader'],
        raw: item,
      });
      if (item.pricing) {
        expect(event.pricing).toEqual({
          billable: item.pricing.billable,
          category: item.pricing.category,
          pricingModel: item.pricing.pricing_model,
          type: item.pricing.type,
        });
      } else {
        expect(event.pricing).toBeUndefined();
      }
      const row = await storedEvent(t.app, { ncmessageId: item.ncmessage_id });
      expect(row).toMatchObject({ status, state: 'processed', duplicates: 0 });
      expect(JSON.parse(row!.payload)).toEqual(item);
      const message = await messages().findOne(item.ncmessage_id);
      expect(message).toMatchObject({ status, recipient: item.recipient, phoneNumber: item.phoneNumber });
      expect(message?.[`${status}At` as 'readAt']).toEqual(new Date(Number(item.received_at) * 1000));
      if (status === 'failed') expect(message?.failureReason).toBe('Operator rejected the message');
    });
  });

  describe('signature', () => {
    const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
    const post = () => request(t.app.getHttpServer()).post(WEBHOOK_PATH).set('content-type', 'application/json');

    it('answers 401 when the signature was made with another secret', async () => {
      const res = await post().set('x-netcore-signature', signNetcorePayload(body, 'another-secret')).send(body).expect(401);
      expect(res.body.message).toBe('Invalid webhook signature');
    });

    it('answers 401 when the signature header is missing', async () => {
      await post().send(body).expect(401);
    });

    it('answers 401 when the body was changed after signing', async () => {
      const sig = signNetcorePayload(body, TEST_SECRET);
      await post().set('x-netcore-signature', sig).send(body.replace('"sent"', '"read"')).expect(401);
    });

    it('answers 401 when the same JSON was re-serialised with other spacing', async () => {
      const sig = signNetcorePayload(body, TEST_SECRET);
      await post().set('x-netcore-signature', sig).send(JSON.stringify(JSON.parse(body), null, 2)).expect(401);
    });

    it('accepts a sha256= prefixed signature', async () => {
      await post()
        .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET, { prefix: true }))
        .send(body)
        .expect(200);
    });

    it('stores nothing from a request that failed verification', async () => {
      const item = buildDeliveryStatus();
      const raw = JSON.stringify(buildWebhookPayload(item));
      await post().set('x-netcore-signature', signNetcorePayload(raw, 'nope')).send(raw).expect(401);
      await t.settle();
      expect(await inbox().countBy({ ncmessageId: item.ncmessage_id })).toBe(0);
      expect(t.recorder.received).toHaveLength(0);
    });

    it('answers 415 to a body that is not JSON', async () => {
      await request(t.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'text/plain')
        .set('x-netcore-signature', signNetcorePayload('hello', TEST_SECRET))
        .send('hello')
        .expect(415);
    });
  });

  describe('envelope validation', () => {
    it.each([
      ['the body is not valid JSON', '{"delivery_status": [', /./],
      ['delivery_status is missing', '{"events": []}', /delivery_status must be an array/],
      ['delivery_status is not an array', '{"delivery_status": {"status": "sent"}}', /delivery_status must be an array/],
      ['delivery_status is empty', '{"delivery_status": []}', /delivery_status must not be empty/],
      ['the body is an array', '[{"status": "sent"}]', /JSON object/],
    ])('answers 400 when %s', async (_label, raw, message) => {
      const res = await postSigned(t.app, raw).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    });

    it('answers 400 when the batch exceeds maxBatchSize, naming the limit', async () => {
      const items = Array.from({ length: 51 }, () => buildDeliveryStatus());
      const res = await postSigned(t.app, buildWebhookPayload(...items)).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(/51 items; at most 50/);
      expect(await inbox().countBy({ ncmessageId: items[0].ncmessage_id })).toBe(0);
    });
  });

  describe('item validation', () => {
    it('rejects only the bad items, stores them as dead letters with their errors, and accepts the rest', async () => {
      const good = buildDeliveryStatus();
      const noId = { ...buildDeliveryStatus(), ncmessage_id: undefined };
      const badTime = buildDeliveryStatus({ received_at: 'yesterday' });
      const wrongType = buildDeliveryStatus({ pricing: { billable: 'yes' as unknown as boolean } });
      const noStatus = { ...buildDeliveryStatus(), status: undefined };
      await postSigned(t.app, { delivery_status: [good, noId, badTime, wrongType, noStatus] }).expect(200, {
        accepted: 1,
        duplicates: 0,
        rejected: 4,
      });
      await t.settle();
      expect(t.recorder.received.map((r) => r.event.ncmessageId)).toEqual([good.ncmessage_id]);
      for (const [item, error] of [
        [noId, /ncmessage_id/],
        [badTime, /received_at/],
        [wrongType, /pricing\.billable must be a boolean/],
        [noStatus, /status/],
      ] as const) {
        const dead = await deadLetters().findOneByOrFail({ payload: JSON.stringify(item) });
        expect(dead).toMatchObject({ reason: 'validation', state: 'open' });
        expect(JSON.parse(dead.errors).join('\n')).toMatch(error);
      }
    });

    it('keeps extra fields of a clicked event in raw and never rejects it for them', async () => {
      const click = buildDeliveryStatus({ status: 'clicked', url: 'https://example.com/offer', button: { index: 1 } });
      await postSigned(t.app, buildWebhookPayload(click)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      expect(t.recorder.received[0].event.raw).toMatchObject({ url: 'https://example.com/offer', button: { index: 1 } });
    });

    it("emits a failed event's valid pricing, and leaves invalid pricing out of the event while raw keeps it", async () => {
      const failed = buildDeliveryStatus({ status: 'failed', pricing: { billable: false, category: 'utility' } });
      const pricing = { billable: true, category: 'c'.repeat(65) };
      const read = buildDeliveryStatus({ status: 'read', pricing });
      await postSigned(t.app, buildWebhookPayload(failed, read)).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
      await t.settle();
      const byId = new Map(t.recorder.received.map((r) => [r.event.ncmessageId, r.event]));
      expect(byId.get(failed.ncmessage_id)!.pricing).toEqual({ billable: false, category: 'utility', pricingModel: undefined, type: undefined });
      expect(byId.get(read.ncmessage_id)!.pricing).toBeUndefined();
      expect(byId.get(read.ncmessage_id)!.raw.pricing).toEqual(pricing);
    });

    it('accepts received_at as an integer and as "YYYY-MM-DD HH:mm:ss" UTC', async () => {
      const asInt = buildDeliveryStatus({ received_at: 1764693401 });
      const asDate = buildDeliveryStatus({ received_at: '2025-12-02 16:36:41' });
      await postSigned(t.app, buildWebhookPayload(asInt, asDate)).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
      await t.settle();
      const byId = new Map(t.recorder.received.map((r) => [r.event.ncmessageId, r.event.receivedAt]));
      expect(byId.get(asInt.ncmessage_id)).toEqual(new Date(1764693401000));
      expect(byId.get(asDate.ncmessage_id)).toEqual(new Date(Date.UTC(2025, 11, 2, 16, 36, 41)));
    });

    it('stores and emits an unknown lower-case status as message.<status> without breaking the batch', async () => {
      const unknown = buildDeliveryStatus({ status: 'enqueued' });
      const sent = buildDeliveryStatus({ ncmessage_id: unknown.ncmessage_id, status: 'sent' });
      await postSigned(t.app, buildWebhookPayload(unknown, sent)).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
      await t.settle();
      expect(t.recorder.names().sort()).toEqual(['message.enqueued', 'message.sent']);
      expect(await messages().findOne(sent.ncmessage_id)).toMatchObject({ status: 'sent' });
    });
  });

  describe('idempotency', () => {
    it('answers 200 to a retried webhook, counts it as a duplicate and emits no second event', async () => {
      const payload = buildWebhookPayload(buildDeliveryStatus({ status: 'delivered' }), buildDeliveryStatus());
      await postSigned(t.app, payload).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
      await postSigned(t.app, payload).expect(200, { accepted: 0, duplicates: 2, rejected: 0 });
      await postSigned(t.app, payload).expect(200, { accepted: 0, duplicates: 2, rejected: 0 });
      await t.settle();
      expect(t.recorder.received).toHaveLength(2);
      const row = await inbox().findOneByOrFail({ ncmessageId: payload.delivery_status[0].ncmessage_id });
      expect(row.duplicates).toBe(2);
    });

    it('counts a repeat within one batch as a duplicate', async () => {
      const item = buildDeliveryStatus();
      await postSigned(t.app, buildWebhookPayload(item, item)).expect(200, { accepted: 1, duplicates: 1, rejected: 0 });
      await t.settle();
      expect(t.recorder.received).toHaveLength(1);
    });

    it('treats the same status at another received_at as a new event (a second click)', async () => {
      const first = buildDeliveryStatus({ status: 'clicked', received_at: '1764693401' });
      const second = { ...first, received_at: '1764693460' };
      await postSigned(t.app, buildWebhookPayload(first)).expect(200);
      await postSigned(t.app, buildWebhookPayload(second)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await postSigned(t.app, buildWebhookPayload(second)).expect(200, { accepted: 0, duplicates: 1, rejected: 0 });
      await t.settle();
      expect(await messages().findOne(first.ncmessage_id)).toMatchObject({
        clickCount: 2,
        firstClickedAt: new Date(1764693401000),
        status: null,
      });
    });

    it('gives each host listener exactly one event per distinct event when the same batch arrives concurrently', async () => {
      const payload = buildWebhookPayload(
        ...Array.from({ length: 10 }, (_, i) => buildDeliveryStatus({ status: i % 2 ? 'read' : 'sent' })),
      );
      const results = await Promise.all(Array.from({ length: 5 }, () => postSigned(t.app, payload).expect(200)));
      await t.settle();
      expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(10);
      expect(results.reduce((n, r) => n + r.body.duplicates, 0)).toBe(40);
      expect(t.recorder.received).toHaveLength(10);
      expect(new Set(t.recorder.received.map((r) => r.event.eventId)).size).toBe(10);
    });
  });
});
