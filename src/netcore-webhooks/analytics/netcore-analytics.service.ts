import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fitColumn } from '../database/fit-column';
import { ANALYTICS_CATEGORY_LENGTH, ANALYTICS_SOURCE_LENGTH } from '../entities/netcore-analytics-message.entity';
import { AnalyticsQueries, DAY_MS, STATUSES, zeroCounts, type RangeParameters } from './analytics-queries';
import type {
  NetcoreAnalyticsCounts,
  NetcoreAnalyticsQuery,
  NetcoreAnalyticsRates,
  NetcoreAnalyticsSeriesDay,
  NetcoreAnalyticsSummary,
} from './netcore-analytics-summary';
import { isUtcDay, utcDay } from './utc-day';

const TOP_REMARKS = 10;
/** Days a series may span: a chart's worth, and a bound on the rows one request builds. */
export const MAX_SERIES_DAYS = 366;

/** Thrown for a query the analytics cannot answer (bad day, range backwards); the admin endpoint answers 400. */
export class NetcoreAnalyticsQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetcoreAnalyticsQueryError';
  }
}

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);
const ratesOf = (f: NetcoreAnalyticsCounts): NetcoreAnalyticsRates => ({
  delivery: rate(f.delivered, f.sent),
  read: rate(f.read, f.delivered),
  failure: rate(f.failed, f.sent),
});
const total = (days: Map<number, NetcoreAnalyticsCounts>) => {
  const sum = zeroCounts();
  for (const day of days.values()) for (const s of STATUSES) sum[s] += day[s];
  return sum;
};

/** Reads the default analytics sink's table (`TypeOrmAnalyticsSink`). */
@Injectable()
export class NetcoreAnalyticsService {
  private readonly queries: AnalyticsQueries;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.queries = new AnalyticsQueries(dataSource);
  }

  /** The cohort funnel, its rates, the activity, timings and top failure remarks of the whole range. */
  async summary(query: NetcoreAnalyticsQuery): Promise<NetcoreAnalyticsSummary> {
    const range = this.range(query);
    const funnel = total(await this.queries.funnelByDay(range));
    // Ranked here, not in SQL: ties must not depend on the database's collation.
    const topFailureRemarks = (await this.queries.failureRemarks(range))
      .sort((a, b) => b.count - a.count || (a.remark < b.remark ? -1 : a.remark > b.remark ? 1 : 0))
      .slice(0, TOP_REMARKS);
    return {
      from: query.from,
      to: query.to,
      source: query.source ?? null,
      category: query.category ?? null,
      funnel,
      rates: ratesOf(funnel),
      activity: total(await this.queries.activityByDay(range)),
      timing: {
        sentToDelivered: await this.queries.timing('sent', 'delivered', range),
        deliveredToRead: await this.queries.timing('delivered', 'read', range),
      },
      topFailureRemarks,
    };
  }

  /** One row per day of the range, empty days included: that day's cohort funnel and that day's activity. */
  async series(query: NetcoreAnalyticsQuery): Promise<NetcoreAnalyticsSeriesDay[]> {
    const range = this.range(query);
    if ((range.hi - range.lo) / DAY_MS > MAX_SERIES_DAYS) {
      throw new NetcoreAnalyticsQueryError(`a series spans at most ${MAX_SERIES_DAYS} days`);
    }
    const funnels = await this.queries.funnelByDay(range);
    const activities = await this.queries.activityByDay(range);
    const days: NetcoreAnalyticsSeriesDay[] = [];
    for (let d = range.lo / DAY_MS; d < range.hi / DAY_MS; d++) {
      const funnel = funnels.get(d) ?? zeroCounts();
      days.push({ day: utcDay(new Date(d * DAY_MS)), funnel, rates: ratesOf(funnel), activity: activities.get(d) ?? zeroCounts() });
    }
    return days;
  }

  private range({ from, to, source, category }: NetcoreAnalyticsQuery): RangeParameters {
    if (!isUtcDay(from) || !isUtcDay(to)) throw new NetcoreAnalyticsQueryError("'from' and 'to' must be UTC days written YYYY-MM-DD");
    if (from > to) throw new NetcoreAnalyticsQueryError(`'from' (${from}) is after 'to' (${to})`);
    // PostgreSQL refuses NUL in text: a query holding one is the caller's mistake (400), not an outage (503).
    if (source?.includes('\u0000') || category?.includes('\u0000')) {
      throw new NetcoreAnalyticsQueryError("'source' and 'category' must not contain NUL characters");
    }
    // Stored as fitColumn made them (a long source cut, a lone surrogate as U+FFFD): the value as sent finds them.
    return {
      lo: Date.parse(`${from}T00:00:00Z`),
      hi: Date.parse(`${to}T00:00:00Z`) + DAY_MS,
      ...(source !== undefined ? { source: fitColumn(source, ANALYTICS_SOURCE_LENGTH) } : {}),
      ...(category !== undefined ? { category: fitColumn(category, ANALYTICS_CATEGORY_LENGTH) } : {}),
    };
  }
}
