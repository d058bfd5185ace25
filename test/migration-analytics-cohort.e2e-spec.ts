import { DataSource, type DataSourceOptions } from 'typeorm';
import { NetcoreAnalyticsService, netcoreWebhooksMigrations } from '../src';
import type { NetcoreDeliveryStatusItem } from '../src/testing';
import { analyticsModel, expectedSeries, expectedSummary } from './support/analytics-model';
import { MONTH, simulateMonth } from './support/simulated-month';
import { startHostApp } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';

const COLUMNS = ['ncmessage_id', 'status', 'day', 'category', 'source', 'received_at', 'remark'];
type Fact = [id: string, status: string, day: string, category: string, source: string, receivedAt: number, remark: string];

/**
 * The facts the 0.1 sink left for events arriving in this order: the first event of each message and status,
 * under its pricing's category or, without one, that of the message's earlier priced facts.
 */
function factsOf(items: NetcoreDeliveryStatusItem[]): Fact[] {
  const facts = new Map<string, Fact>();
  const categories = new Map<string, string>();
  for (const item of items) {
    const key = `${item.ncmessage_id}|${item.status}`;
    if (facts.has(key)) continue;
    const own = item.pricing?.category ?? '';
    if (own && !categories.has(item.ncmessage_id)) categories.set(item.ncmessage_id, own);
    const seconds = Number(item.received_at);
    const day = new Date(seconds * 1000).toISOString().slice(0, 10);
    facts.set(key, [item.ncmessage_id, item.status, day, own || (categories.get(item.ncmessage_id) ?? ''), item.source ?? '', seconds * 1000, item.status_remark ?? '']);
  }
  return [...facts.values()];
}

/** The facts as the events the new rules see: a fact's category is its pricing unless it was copied onto a failure. */
const asItems = (facts: Fact[]): NetcoreDeliveryStatusItem[] =>
  facts.map(([ncmessage_id, status, , category, source, ms, status_remark]) => ({
    ncmessage_id,
    status,
    received_at: String(ms / 1000),
    source,
    status_remark,
    ...(category && status !== 'failed' ? { pricing: { billable: true, category } } : {}),
  }));

describe.each(DATABASES)('the AnalyticsCohort migration rebuilds the cohort rows from the 0.1 facts (%s)', (kind) => {
  const type = kind === 'sqlite' ? 'better-sqlite3' : 'postgres';
  const all = netcoreWebhooksMigrations(type);
  const cohort = all.findIndex((m) => m.name.startsWith('AnalyticsCohort'));
  const facts = [...factsOf(simulateMonth(7).flat()), ['unknown-status', 'enqueued', '2025-11-03', '', '', Date.UTC(2025, 10, 3), ''] as Fact];
  const model = analyticsModel(asItems(facts));
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false, migrations: all.slice(0, cohort) }).initialize();
    try {
      await dataSource.runMigrations();
      for (let i = 0; i < facts.length; i += 100) {
        const chunk = facts.slice(i, i + 100);
        const p = (n: number) => (kind === 'postgres' ? `$${n + 1}` : '?');
        const tuples = chunk.map((_, r) => `(${COLUMNS.map((_, c) => p(r * COLUMNS.length + c)).join(', ')})`);
        await dataSource.query(`INSERT INTO "netcore_analytics_events" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`, chunk.flat());
      }
    } finally {
      await dataSource.destroy();
    }
  }, 60_000);
  afterAll(() => db?.drop());

  it('answers the summaries and series the model computes from the same facts, and its down gives the facts back', async () => {
    const t = await startHostApp(kind, {}, { db });
    try {
      const analytics = t.app.get(NetcoreAnalyticsService);
      for (const query of [MONTH, { from: '2025-11-08', to: '2025-11-09', category: 'utility' }, { ...MONTH, source: 'kiran' }]) {
        expect(await analytics.summary(query)).toEqual(expectedSummary(model, query));
      }
      expect(await analytics.series({ from: '2025-10-31', to: '2025-12-04' })).toEqual(expectedSeries(model, { from: '2025-10-31', to: '2025-12-04' }));
      expect((await analytics.summary(MONTH)).funnel.sent).toBeGreaterThan(500);

      const dataSource = t.app.get(DataSource);
      // Down to before AnalyticsCohort: the migrations after it first, then it.
      for (let i = all.length - 1; i >= cohort; i--) await dataSource.undoLastMigration();
      const rows: { id: string; status: string; day: string; at: string | number }[] = await dataSource.query(
        `SELECT "ncmessage_id" AS "id", "status", "day", "received_at" AS "at" FROM "netcore_analytics_events"`,
      );
      const key = (id: string, status: string, day: string, at: number) => `${id}|${status}|${day}|${at}`;
      expect(new Set(rows.map((r) => key(r.id, r.status, r.day, Number(r.at))))).toEqual(
        new Set(facts.filter((f) => f[1] !== 'enqueued').map((f) => key(f[0], f[1], f[2], f[5]))),
      );
      await dataSource.runMigrations();
    } finally {
      await t.close();
    }
  });
});
