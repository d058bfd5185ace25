import type { DataSource } from 'typeorm';
import { namedQuery } from '../database/named-query';
import { NetcoreAnalyticsMessage } from '../entities/netcore-analytics-message.entity';
import type { NetcoreAnalyticsCounts, NetcoreTimingFigures } from './netcore-analytics-summary';

export const DAY_MS = 86_400_000;
export const STATUSES = ['sent', 'delivered', 'read', 'failed', 'clicked'] as const;
export type Status = (typeof STATUSES)[number];

/** A range as the queries take it: epoch ms `[lo, hi)`, and `source`/`category` as stored. */
export interface RangeParameters {
  lo: number;
  hi: number;
  source?: string;
  category?: string;
}

/** Whether a message reached each status, with the lifecycle's implications; a delivery outranks a failure. */
const REACHED: Record<Status, string> = {
  sent: `m."sent_at" IS NOT NULL OR m."delivered_at" IS NOT NULL OR m."read_at" IS NOT NULL OR m."failed_at" IS NOT NULL`,
  delivered: `m."delivered_at" IS NOT NULL OR m."read_at" IS NOT NULL`,
  read: `m."read_at" IS NOT NULL`,
  failed: `m."failed_at" IS NOT NULL AND m."delivered_at" IS NULL AND m."read_at" IS NULL`,
  clicked: `m."clicked_at" IS NOT NULL`,
};

export const zeroCounts = (): NetcoreAnalyticsCounts => ({ sent: 0, delivered: 0, read: 0, failed: 0, clicked: 0 });

/** The SQL of the analytics reads: GROUP BYs over `netcore_analytics_messages` (one row per message). */
export class AnalyticsQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** The cohort funnel per day number (epoch ms / DAY_MS) of the messages' earliest event. */
  async funnelByDay(range: RangeParameters): Promise<Map<number, NetcoreAnalyticsCounts>> {
    const sums = STATUSES.map((s) => `SUM(CASE WHEN ${REACHED[s]} THEN 1 ELSE 0 END) AS "${s}"`).join(', ');
    const rows = await this.query<Record<Status | 'd', string | number>>(
      `SELECT m."first_at" / ${DAY_MS} AS "d", ${sums} FROM ${this.table()} m WHERE ${this.cohort(range)} GROUP BY m."first_at" / ${DAY_MS}`,
      range,
    );
    const days = new Map<number, NetcoreAnalyticsCounts>();
    for (const row of rows) {
      const counts = zeroCounts();
      for (const s of STATUSES) counts[s] = Number(row[s]);
      days.set(Number(row.d), counts);
    }
    return days;
  }

  /** Activity per day number: messages whose earliest event of each status is dated that day. */
  async activityByDay(range: RangeParameters): Promise<Map<number, NetcoreAnalyticsCounts>> {
    // `last_at` bounds the rows read to messages with an event at or after the range's start (its index).
    const parts = STATUSES.map(
      (s) =>
        `SELECT m."${s}_at" / ${DAY_MS} AS "d", '${s}' AS "status" FROM ${this.table()} m ` +
        `WHERE m."last_at" >= :lo AND m."${s}_at" >= :lo AND m."${s}_at" < :hi${this.filters(range)}`,
    );
    const rows = await this.query<{ d: string | number; status: Status; n: string | number }>(
      `SELECT x."d" AS "d", x."status" AS "status", COUNT(*) AS "n" FROM (${parts.join(' UNION ALL ')}) x GROUP BY x."d", x."status"`,
      range,
    );
    const days = new Map<number, NetcoreAnalyticsCounts>();
    for (const row of rows) {
      const day = days.get(Number(row.d)) ?? zeroCounts();
      day[row.status] = Number(row.n);
      days.set(Number(row.d), day);
    }
    return days;
  }

  /** Nearest-rank percentiles of `later` - `earlier` over the cohort's messages with both. */
  async timing(earlier: Status, later: Status, range: RangeParameters): Promise<NetcoreTimingFigures> {
    const pairs = `FROM ${this.table()} m WHERE ${this.cohort(range)} AND m."${earlier}_at" IS NOT NULL AND m."${later}_at" IS NOT NULL`;
    const [{ n }] = await this.query<{ n: string | number }>(`SELECT COUNT(*) AS "n" ${pairs}`, range);
    const count = Number(n);
    // Nearest rank: the smallest value with at least p of the durations at or below it.
    const percentile = async (p: number) => {
      if (!count) return null;
      const offset = Math.ceil(p * count) - 1;
      const sql = `SELECT (m."${later}_at" - m."${earlier}_at") AS "ms" ${pairs} ORDER BY 1 LIMIT 1 OFFSET ${offset}`;
      const [row] = await this.query<{ ms: string | number }>(sql, range);
      return Number(row.ms) / 1000;
    };
    return { count, medianSeconds: await percentile(0.5), p90Seconds: await percentile(0.9) };
  }

  /** Remarks of the cohort's failures (as the funnel counts them), with their counts. */
  async failureRemarks(range: RangeParameters): Promise<{ remark: string; count: number }[]> {
    const rows = await this.query<{ remark: string; n: string | number }>(
      `SELECT m."remark" AS "remark", COUNT(*) AS "n" FROM ${this.table()} m WHERE ${this.cohort(range)} AND ${REACHED.failed} GROUP BY m."remark"`,
      range,
    );
    return rows.map((r) => ({ remark: r.remark, count: Number(r.n) }));
  }

  private cohort(range: RangeParameters): string {
    return `m."first_at" >= :lo AND m."first_at" < :hi${this.filters(range)}`;
  }

  private filters({ source, category }: RangeParameters): string {
    return (source !== undefined ? ` AND m."source" = :source` : '') + (category !== undefined ? ` AND m."category" = :category` : '');
  }

  private query<T>(sql: string, range: RangeParameters): Promise<T[]> {
    return namedQuery<T>(this.dataSource, sql, { ...range });
  }

  private table(): string {
    return `"${this.dataSource.getMetadata(NetcoreAnalyticsMessage).tableName}"`;
  }
}
