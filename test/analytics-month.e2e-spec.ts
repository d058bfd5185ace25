import request from 'supertest';
import { NetcoreAnalyticsService, NetcoreInboxService } from '../src';
import { buildWebhookPayload } from '../src/testing';
import { analyticsModel, expectedSeries, expectedSummary, type AnalyticsQuery } from './support/analytics-model';
import { processAgain } from './support/inbox-rows';
import { MONTH, simulateMonth } from './support/simulated-month';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { WEBHOOK_PATH, postSigned } from './support/webhook-client';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const SEED = Number(process.env.NETCORE_SIM_SEED ?? 20251101);
/** Batches posted at once: one message's events may then be recorded by concurrent transactions. */
const CONCURRENT_BATCHES = 4;

const SUMMARIES: AnalyticsQuery[] = [
  MONTH,
  { from: '2025-11-01', to: '2025-11-07' },
  { from: '2025-11-15', to: '2025-11-15' },
  { from: '2025-10-31', to: '2025-10-31' }, // sent the day before the month, events within it
  { from: '2025-12-01', to: '2025-12-06' }, // only late events: activity, no cohort
  { ...MONTH, source: 'kiran' },
  { ...MONTH, category: 'utility' },
  { from: '2025-11-10', to: '2025-11-20', source: '', category: 'marketing' },
];
const SERIES: AnalyticsQuery[] = [
  { from: '2025-10-31', to: '2025-12-05' },
  { from: '2025-11-12', to: '2025-11-18', category: 'marketing_lite' },
  { from: '2025-11-01', to: '2025-11-30', source: 'crm' },
];

describe.each(DATABASES)(`a simulated month, batches posted ${CONCURRENT_BATCHES} at a time (%s, seed ${SEED})`, (kind) => {
  let t: TestApp;
  const batches = simulateMonth(SEED);
  const model = analyticsModel(batches.flat());
  const analytics = () => t.app.get(NetcoreAnalyticsService);

  beforeAll(async () => {
    t = await startHostApp(kind, { webhooks: { admin: { token: ADMIN_TOKEN } } });
    for (let i = 0; i < batches.length; i += CONCURRENT_BATCHES) {
      const group = batches.slice(i, i + CONCURRENT_BATCHES);
      await Promise.all(group.map((batch) => postSigned(t.app, buildWebhookPayload(...batch)).expect(200)));
      await t.settle();
    }
  }, 180_000);
  afterAll(() => t?.close());

  it('covers what the funnel must get right: implied statuses, failures later delivered, late events, cohorts crossing midnight', () => {
    const all = [...model.values()];
    expect(all.filter((m) => m.at.read !== undefined && m.at.delivered === undefined).length).toBeGreaterThan(20);
    expect(all.filter((m) => m.at.failed !== undefined && m.at.sent === undefined).length).toBeGreaterThan(20);
    expect(all.filter((m) => m.at.failed !== undefined && m.at.delivered !== undefined).length).toBeGreaterThan(10);
    const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
    expect(all.filter((m) => Object.values(m.at).some((at) => day(at) !== day(m.firstAt))).length).toBeGreaterThan(100);
  });

  it.each(SUMMARIES)('answers the summary %j as the model does', async (query) => {
    const answer = await analytics().summary(query);
    expect(answer).toEqual(expectedSummary(model, query));
  });

  it('has a whole month that is not empty, with failures and timings', async () => {
    const answer = await analytics().summary(MONTH);
    expect(answer.funnel.sent).toBeGreaterThan(500);
    expect(answer.funnel.failed).toBeGreaterThan(30);
    expect(answer.timing.deliveredToRead.count).toBeGreaterThan(100);
  });

  it.each(SERIES)('answers the series %j as the model does', async (query) => {
    expect(await analytics().series(query)).toEqual(expectedSeries(model, query));
  });

  it(`serves the series at GET ${WEBHOOK_PATH}/analytics/series to the admin token`, async () => {
    const query = { from: '2025-11-20', to: '2025-11-26', source: 'kiran' };
    const res = await request(t.app.getHttpServer()).get(`${WEBHOOK_PATH}/analytics/series`).query(query).set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(res.body).toEqual(expectedSeries(model, query));
  });

  it('answers 400 to a series longer than a year, saying why', async () => {
    const res = await request(t.app.getHttpServer())
      .get(`${WEBHOOK_PATH}/analytics/series`)
      .query({ from: '2024-01-01', to: '2025-12-31' })
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(400);
    expect(res.body.message).toMatch(/at most 366 days/);
  });

  it('counts nothing twice when every event is processed again', async () => {
    await processAgain(t.app, {});
    expect((await t.app.get(NetcoreInboxService).stats()).processed).toBe(
      new Set(batches.flat().map((e) => `${e.ncmessage_id}|${e.status}|${e.received_at}`)).size,
    );
    expect(await analytics().summary(MONTH)).toEqual(expectedSummary(model, MONTH));
    expect(await analytics().series(SERIES[0])).toEqual(expectedSeries(model, SERIES[0]));
  });
});
