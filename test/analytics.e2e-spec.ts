import request from 'supertest';
import { DataSource, In } from 'typeorm';
import {
  NetcoreAnalyticsService,
  NetcoreAnalyticsSink,
  NetcoreBillingRecord,
  NetcoreBillingService,
  NetcoreInboxService,
  NetcoreMessageEvent,
  NetcoreWebhookEvent,
} from '../src';
import { NETCORE_SAMPLE_PAYLOADS, buildWebhookPayload } from '../src/testing';
import { HostSinksModule, RecordingAnalyticsSink, RecordingBillingSink } from './fixtures/recording-sinks';
import { lifecycle } from './support/lifecycle';
import { analyticsModel, expectedSummary } from './support/analytics-model';
import { DAY, expectedOutcome, simulateDay } from './support/simulated-day';
import { eventIds, inboxStates, processAgain } from './support/inbox-rows';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { WEBHOOK_PATH, postSigned } from './support/webhook-client';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const SEED = Number(process.env.NETCORE_SIM_SEED ?? 20251201);

describe.each(DATABASES)(`a simulated day of 500 messages (%s, seed ${SEED})`, (kind) => {
  let t: TestApp;
  const day = simulateDay(SEED);
  const expected = expectedOutcome(day.batches);
  const model = analyticsModel(day.batches.flat());

  beforeAll(async () => {
    t = await startHostApp(kind, { webhooks: { admin: { token: ADMIN_TOKEN } } });
    for (const batch of day.batches) {
      await postSigned(t.app, buildWebhookPayload(...batch)).expect(200);
      await t.settle();
    }
  }, 120_000);
  afterAll(() => t?.close());

  const summary = (query: Parameters<NetcoreAnalyticsService['summary']>[0]) => t.app.get(NetcoreAnalyticsService).summary(query);

  it('processed every accepted event without error', async () => {
    const stats = await t.app.get(NetcoreInboxService).stats();
    expect(stats).toMatchObject({ pending: 0, failed: 0, dead: 0 });
    expect(stats.processed).toBe(await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).count());
  });

  it('ends with the billing ledger computed independently from the same arrivals', async () => {
    const ledger = await t.app.get(DataSource).getRepository(NetcoreBillingRecord).find({ order: { ncmessageId: 'ASC' } });
    expect(ledger.map(({ updatedAt: _, ...entry }) => entry)).toEqual(expected.ledger);
    // The day has every kind of outcome, so the comparison above covers them.
    expect(new Set(expected.ledger.map((e) => e.state))).toEqual(new Set(['charged', 'voided']));
  });

  it('totals the ledger per category and pricing model, charged minus voided', async () => {
    const totals = await t.app.get(NetcoreBillingService).totals({ from: new Date(`${DAY}T00:00:00Z`), to: new Date(`${DAY}T23:59:59.999Z`) });
    const want = new Map<string, { category: string; pricingModel: string; charged: number; voided: number; net: number }>();
    for (const e of expected.ledger) {
      const key = `${e.category}|${e.pricingModel}`;
      const row = want.get(key) ?? { category: e.category, pricingModel: e.pricingModel, charged: 0, voided: 0, net: 0 };
      row.charged++;
      if (e.state === 'voided') row.voided++;
      row.net = row.charged - row.voided;
      want.set(key, row);
    }
    const order = (a: { category: string; pricingModel: string }, b: typeof a) =>
      a.category < b.category ? -1 : a.category > b.category ? 1 : a.pricingModel < b.pricingModel ? -1 : 1;
    expect(totals).toEqual([...want.values()].sort(order));
  });

  it('answers the cohort funnel, rates, activity, timing and top failure remarks computed independently', async () => {
    const answer = await summary({ from: DAY, to: DAY });
    expect(answer).toEqual(expectedSummary(model, { from: DAY, to: DAY }));
    expect(answer.funnel.sent).toBeGreaterThan(400);
    expect(answer.timing.sentToDelivered.count).toBeGreaterThan(200);
  });

  it.each([
    [{ source: 'kiran' }],
    [{ category: 'marketing' }],
    [{ source: '', category: 'utility' }],
  ])('answers the same for a filtered summary %j', async (filter) => {
    expect(await summary({ from: DAY, to: DAY, ...filter })).toEqual(expectedSummary(model, { from: DAY, to: DAY, ...filter }));
  });

  it('counts nothing on the days around it', async () => {
    const none = { sent: 0, delivered: 0, read: 0, failed: 0, clicked: 0 };
    expect(await summary({ from: '2025-11-30', to: '2025-11-30' })).toMatchObject({ funnel: none, activity: none });
    expect((await summary({ from: '2025-12-02', to: '2025-12-31' })).funnel.sent).toBe(0);
  });

  it('does not count an event twice when its processing runs again', async () => {
    const before = await summary({ from: DAY, to: DAY });
    const rows = await t.app.get(DataSource).getRepository(NetcoreWebhookEvent).find({ take: 200, order: { receivedAt: 'ASC' } });
    await processAgain(t.app, { id: In(rows.map((row) => row.id)) });
    expect(await summary({ from: DAY, to: DAY })).toEqual(before);
  });

  it(`serves the summary at GET ${WEBHOOK_PATH}/analytics/summary to the admin token`, async () => {
    const res = await request(t.app.getHttpServer())
      .get(`${WEBHOOK_PATH}/analytics/summary`)
      .query({ from: DAY, to: DAY, source: 'kiran' })
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(200);
    expect(res.body).toEqual(expectedSummary(model, { from: DAY, to: DAY, source: 'kiran' }));
  });

  it.each([
    ['no token', undefined],
    ['another token', 'Bearer not-the-admin-token-at-all'],
  ])('answers 401 with %s', async (_label, authorization) => {
    const req = request(t.app.getHttpServer()).get(`${WEBHOOK_PATH}/analytics/summary`).query({ from: DAY, to: DAY });
    await (authorization ? req.set('authorization', authorization) : req).expect(401);
  });

  it.each([
    [{ to: DAY }, /'from' and 'to' must be UTC days/],
    [{ from: '2025-12-1', to: DAY }, /'from' and 'to' must be UTC days/],
    [{ from: '2025-02-30', to: DAY }, /'from' and 'to' must be UTC days/],
    [{ from: DAY, to: '2025-13-01' }, /'from' and 'to' must be UTC days/],
    [{ from: DAY, to: '2025-11-01' }, /'from' \(2025-12-01\) is after 'to'/],
    [{ from: [DAY, DAY], to: DAY }, /'from' must be given once/],
  ])('answers 400 to %j, saying why', async (query, message) => {
    const res = await request(t.app.getHttpServer())
      .get(`${WEBHOOK_PATH}/analytics/summary`)
      .query(query)
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(400);
    expect(res.body.message).toMatch(message);
  });
});

describe.each(DATABASES)(`the simulated day through host-provided sinks (%s, seed ${SEED})`, (kind) => {
  it('gives the billing sink exactly the calls computed independently, and the analytics sink each distinct event once', async () => {
    const day = simulateDay(SEED);
    const expected = expectedOutcome(day.batches);
    const t = await startHostApp(kind, {
      registration: 'forRootAsync',
      extras: { billingSink: { useExisting: RecordingBillingSink, imports: [HostSinksModule] }, analyticsSink: { useExisting: RecordingAnalyticsSink, imports: [HostSinksModule] } },
    });
    try {
      for (const batch of day.batches) {
        await postSigned(t.app, buildWebhookPayload(...batch)).expect(200);
        await t.settle();
      }
      const billing = t.app.get(RecordingBillingSink);
      const actual = new Map<string, unknown[]>();
      for (const c of billing.calls) actual.set(c.args.ncmessageId, [...(actual.get(c.args.ncmessageId) ?? []), c]);
      expect(actual).toEqual(expected.calls);
      expect([...expected.calls.values()].flat().map((c) => c.call).sort().filter((c, i, all) => all.indexOf(c) === i)).toEqual(['charge', 'restore', 'void']);

      const distinct = new Set(day.batches.flat().map((e) => `${e.ncmessage_id}|${e.status}|${e.received_at}`));
      const recorded = t.app.get(RecordingAnalyticsSink).events.map((e) => `${e.ncmessageId}|${e.status}|${Number(e.receivedAt) / 1000}`);
      expect(recorded).toHaveLength(distinct.size);
      expect(new Set(recorded)).toEqual(distinct);
    } finally {
      await t.close();
    }
  }, 120_000);
});

describe.each(DATABASES)('analytics (%s)', (kind) => {
  it('answers rates within 100% for the four samples (four messages): implied sends count, each event once', async () => {
    const t = await startHostApp(kind);
    try {
      for (const payload of Object.values(NETCORE_SAMPLE_PAYLOADS)) await postSigned(t.app, payload).expect(200);
      for (const payload of Object.values(NETCORE_SAMPLE_PAYLOADS)) await postSigned(t.app, payload).expect(200); // retried by Netcore
      await t.settle();
      const analytics = t.app.get(NetcoreAnalyticsService);
      // 2025-12-01 holds the delivered, sent and failed messages; 2025-12-02 the read one.
      const both = await analytics.summary({ from: '2025-12-01', to: '2025-12-02' });
      expect(both).toMatchObject({
        funnel: { sent: 4, delivered: 2, read: 1, failed: 1, clicked: 0 },
        rates: { delivery: 0.5, read: 0.5, failure: 0.25 },
        activity: { sent: 1, delivered: 1, read: 1, failed: 1, clicked: 0 },
      });
      expect((await analytics.summary({ from: '2025-12-02', to: '2025-12-02' })).funnel).toEqual({ sent: 1, delivered: 1, read: 1, failed: 0, clicked: 0 });
      const failed = await analytics.summary({ from: '2025-12-01', to: '2025-12-01', category: '' });
      expect(failed.funnel).toMatchObject({ sent: 1, failed: 1 });
      expect(failed.topFailureRemarks).toEqual([{ remark: 'Operator rejected the message', count: 1 }]);
      expect((await analytics.summary({ from: '2025-12-01', to: '2025-12-01', category: 'marketing_lite' })).funnel.sent).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('counts a failure under the category of its message when its sent arrived first', async () => {
    const t = await startHostApp(kind);
    try {
      const items = lifecycle(['sent', 'failed'], { pricing: { billable: true, category: 'utility', pricing_model: 'PMP', type: 'regular' } });
      for (const item of items) {
        await postSigned(t.app, buildWebhookPayload(item)).expect(200);
        await t.settle();
      }
      const day = new Date(Number(items[0].received_at) * 1000).toISOString().slice(0, 10);
      const answer = await t.app.get(NetcoreAnalyticsService).summary({ from: day, to: day, category: 'utility' });
      expect(answer.funnel).toMatchObject({ sent: 1, failed: 1 });
      expect(answer.rates.failure).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('counts a failure whose event carries invalid pricing under the category of its message (the pricing is ignored)', async () => {
    const t = await startHostApp(kind);
    try {
      const [sent, failed] = lifecycle(['sent', 'failed'], { pricing: { billable: true, category: 'utility', pricing_model: 'PMP', type: 'regular' } });
      await postSigned(t.app, buildWebhookPayload(sent)).expect(200);
      await t.settle();
      const invalid = { ...failed, pricing: { billable: true, category: 'c'.repeat(65) } };
      expect((await postSigned(t.app, buildWebhookPayload(invalid)).expect(200)).body).toMatchObject({ accepted: 1, rejected: 0 });
      await t.settle();
      const day = new Date(Number(sent.received_at) * 1000).toISOString().slice(0, 10);
      const analytics = t.app.get(NetcoreAnalyticsService);
      expect((await analytics.summary({ from: day, to: day, category: 'utility' })).funnel).toMatchObject({ sent: 1, failed: 1 });
      expect((await analytics.summary({ from: day, to: day, category: 'c'.repeat(64) })).funnel.failed).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('never counts under the category of a pricing it ignored, and counts a failure followed by a delivery as delivered only', async () => {
    const t = await startHostApp(kind);
    try {
      const [delivered, failed] = lifecycle(['delivered', 'failed']);
      const invalid = { ...delivered, pricing: { billable: true, category: 'c'.repeat(65) } };
      for (const item of [invalid, failed]) {
        expect((await postSigned(t.app, buildWebhookPayload(item)).expect(200)).body).toMatchObject({ accepted: 1, rejected: 0 });
        await t.settle();
      }
      const day = new Date(Number(delivered.received_at) * 1000).toISOString().slice(0, 10);
      const analytics = t.app.get(NetcoreAnalyticsService);
      expect((await analytics.summary({ from: day, to: day, category: 'c'.repeat(64) })).funnel).toMatchObject({ delivered: 0, failed: 0 });
      expect(await analytics.summary({ from: day, to: day, category: '' })).toMatchObject({
        funnel: { sent: 1, delivered: 1, failed: 0 },
        activity: { delivered: 1, failed: 1 },
      });
    } finally {
      await t.close();
    }
  });

  it('counts an event whose source is longer than the analytics columns under its first 128 characters', async () => {
    const t = await startHostApp(kind);
    try {
      const long = `partner-${'x'.repeat(300)}`;
      const [sent, failed] = lifecycle(['sent', 'failed']).map((item) => ({ ...item, source: long }));
      for (const item of [sent, failed]) {
        await postSigned(t.app, buildWebhookPayload(item)).expect(200);
        await t.settle();
      }
      const ids = await eventIds(t.app, sent.ncmessage_id);
      expect((await inboxStates(t.app, ids)).map((row) => row.state)).toEqual(['processed', 'processed']);
      const day = new Date(Number(sent.received_at) * 1000).toISOString().slice(0, 10);
      const analytics = t.app.get(NetcoreAnalyticsService);
      for (const source of [long, long.slice(0, 128)]) {
        expect((await analytics.summary({ from: day, to: day, source })).funnel).toMatchObject({ sent: 1, failed: 1 });
      }
      expect((await analytics.summary({ from: day, to: day, source: long.slice(0, 127) })).funnel).toMatchObject({ sent: 0, failed: 0 });
    } finally {
      await t.close();
    }
  });

  it('finds a source or category holding a lone surrogate by the value as sent, on both databases', async () => {
    const t = await startHostApp(kind);
    try {
      const source = `lone-${Date.now()}-\ud800`;
      const category = 'promo-\udc00';
      const pricing = { billable: true, category, pricing_model: 'PMP', type: 'regular' };
      const [sent, failed] = lifecycle(['sent', 'failed']).map((item) => ({ ...item, source, ...(item.status === 'sent' ? { pricing } : {}) }));
      for (const item of [sent, failed]) {
        await postSigned(t.app, buildWebhookPayload(item)).expect(200);
        await t.settle();
      }
      const day = new Date(Number(sent.received_at) * 1000).toISOString().slice(0, 10);
      const analytics = t.app.get(NetcoreAnalyticsService);
      expect((await analytics.summary({ from: day, to: day, source })).funnel).toMatchObject({ sent: 1, failed: 1 });
      expect((await analytics.summary({ from: day, to: day, source, category })).funnel).toMatchObject({ sent: 1, failed: 1 });
    } finally {
      await t.close();
    }
  });

  it('answers 404 at the summary endpoint when no admin token is configured', async () => {
    const t = await startHostApp(kind);
    try {
      await request(t.app.getHttpServer()).get(`${WEBHOOK_PATH}/analytics/summary`).query({ from: DAY, to: DAY }).expect(404);
    } finally {
      await t.close();
    }
  });

  it('answers 400, not 503, to a source or category holding NUL (PostgreSQL refuses it in text)', async () => {
    const t = await startHostApp(kind, { webhooks: { admin: { token: ADMIN_TOKEN } } });
    try {
      for (const query of [{ source: 'a\u0000' }, { category: '\u0000' }]) {
        await request(t.app.getHttpServer())
          .get(`${WEBHOOK_PATH}/analytics/summary`)
          .set('authorization', `Bearer ${ADMIN_TOKEN}`)
          .query({ from: DAY, to: DAY, ...query })
          .expect(400);
      }
    } finally {
      await t.close();
    }
  });

  it('answers 503 at the summary endpoint when the database is unavailable', async () => {
    // The outage is on purpose: its ERROR lines are captured, not printed.
    const t = await startHostApp(kind, { webhooks: { admin: { token: ADMIN_TOKEN } } }, { logger: new CapturingLogger() });
    const dataSource = t.app.get(DataSource);
    try {
      await dataSource.destroy();
      const res = await request(t.app.getHttpServer())
        .get(`${WEBHOOK_PATH}/analytics/summary`)
        .query({ from: DAY, to: DAY })
        .set('authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(503);
      expect(res.body.message).toMatch(/retry later/);
    } finally {
      if (!dataSource.isInitialized) await dataSource.initialize();
      await t.close();
    }
  });

  it('gives a host-provided analytics sink each distinct event exactly once, writes no counters, and lets its errors fail the event', async () => {
    const t = await startHostApp(kind, { registration: 'forRootAsync', extras: { analyticsSink: { useClass: RecordingAnalyticsSink } } });
    try {
      const sink = t.app.get<RecordingAnalyticsSink>(NetcoreAnalyticsSink);
      const items = lifecycle(['sent', 'delivered', 'read']);
      await postSigned(t.app, buildWebhookPayload(...items, items[1])).expect(200);
      await Promise.all([1, 2, 3].map(() => postSigned(t.app, buildWebhookPayload(...items)).expect(200)));
      await t.settle();
      expect(sink.events.map((e) => e.status).sort()).toEqual(['delivered', 'read', 'sent']);
      expect(sink.events[0]).toBeInstanceOf(NetcoreMessageEvent);
      const day = new Date(Number(items[0].received_at) * 1000).toISOString().slice(0, 10);
      expect((await t.app.get(NetcoreAnalyticsService).summary({ from: day, to: day })).funnel.sent).toBe(0);

      // A sink that throws fails the event (recorded on its inbox row) instead of being swallowed.
      sink.failNext = 1;
      const [late] = lifecycle(['sent']);
      await postSigned(t.app, buildWebhookPayload(late)).expect(200);
      await t.settle();
      const [row] = await inboxStates(t.app, await eventIds(t.app, late.ncmessage_id));
      expect(row).toMatchObject({ state: 'failed', attempts: 1 });
      expect(row.lastError).toMatch(/host analytics pipeline unavailable/);
    } finally {
      await t.close();
    }
  });
});
