import fc from 'fast-check';
import { NetcoreAnalyticsService } from '../src';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { analyticsModel, expectedSeries, expectedSummary } from './support/analytics-model';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

const RUNS = Number(process.env.NETCORE_ANALYTICS_RUNS ?? 40);
const DAY = 86_400;
/** Each run has its own ten days, so runs sharing one database do not see each other. */
const windowStart = (run: number) => Date.UTC(2031, 0, 1) / 1000 + run * 10 * DAY;

/** A message's events in any order and combination: statuses repeated, missing, unknown; times over four days. */
const message = fc.record({
  source: fc.constantFrom('', 'a', 'b'),
  category: fc.option(fc.constantFrom('marketing', 'utility'), { nil: undefined }),
  events: fc.array(fc.record({ status: fc.constantFrom('sent', 'delivered', 'read', 'failed', 'clicked', 'enqueued'), at: fc.integer({ min: 0, max: 4 * DAY - 1 }) }), {
    minLength: 1,
    maxLength: 6,
  }),
});

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

describe.each(DATABASES)('analytics rates for any input (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind);
  });
  afterAll(() => t?.close());

  it('keeps every rate within [0, 1] and delivered <= sent, read <= delivered, failed + delivered <= sent; summary and series equal the model', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), async (messages, a, b) => {
        const start = windowStart(run++);
        const items: NetcoreDeliveryStatusItem[] = messages.flatMap((m, i) =>
          m.events.map(({ status, at }) => ({
            ncmessage_id: `rates-${start}-${i}`,
            status,
            received_at: String(start + at),
            source: m.source,
            // A remark and a pricing that follow from the event, so two copies of one event agree.
            status_remark: status === 'failed' ? `remark ${at % 3}` : '',
            ...(m.category && status !== 'failed' ? { pricing: { billable: true, category: m.category, pricing_model: 'PMP', type: 'regular' } } : {}),
          })),
        );
        await postSigned(t.app, buildWebhookPayload(...items)).expect(200);
        await t.settle();
        const model = analyticsModel(items);
        const analytics = t.app.get(NetcoreAnalyticsService);
        const query = { from: day(start + Math.min(a, b) * DAY), to: day(start + Math.max(a, b) * DAY) };
        const summary = await analytics.summary(query);
        const series = await analytics.series({ from: day(start), to: day(start + 4 * DAY) });
        for (const { funnel, rates } of [summary, ...series]) {
          for (const r of Object.values(rates)) if (r !== null) expect(r >= 0 && r <= 1).toBe(true);
          expect(funnel.delivered).toBeLessThanOrEqual(funnel.sent);
          expect(funnel.read).toBeLessThanOrEqual(funnel.delivered);
          expect(funnel.failed + funnel.delivered).toBeLessThanOrEqual(funnel.sent);
        }
        expect(summary).toEqual(expectedSummary(model, query));
        expect(series).toEqual(expectedSeries(model, { from: day(start), to: day(start + 4 * DAY) }));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
