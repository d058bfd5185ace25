import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fitColumn } from '../database/fit-column';
import { namedQuery } from '../database/named-query';
import { NetcoreAnalyticsDailyCount } from '../entities/netcore-analytics-daily-count.entity';
import { ANALYTICS_CATEGORY_LENGTH, ANALYTICS_SOURCE_LENGTH, NetcoreAnalyticsEvent } from '../entities/netcore-analytics-event.entity';
import type { NetcoreAnalyticsQuery, NetcoreAnalyticsSummary, NetcoreTimingFigures } from './netcore-analytics-summary';
import { isUtcDay } from './utc-day';

const FUNNEL = ['sent', 'delivered', 'read', 'failed', 'clicked'] as const;
const TOP_REMARKS = 10;

/** Thrown for a query the summary cannot answer (bad day, range backwards); the admin endpoint answers 400. */
export class NetcoreAnalyticsQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetcoreAnalyticsQueryError';
  }
}

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);

/** Reads the default analytics sink's tables (`TypeOrmAnalyticsSink`). */
@Injectable()
export class NetcoreAnalyticsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(query: NetcoreAnalyticsQuery): Promise<NetcoreAnalyticsSummary> {
    const { from, to } = query;
    if (!isUtcDay(from) || !isUtcDay(to)) throw new NetcoreAnalyticsQueryError("'from' and 'to' must be UTC days written YYYY-MM-DD");
    if (from > to) throw new NetcoreAnalyticsQueryError(`'from' (${from}) is after 'to' (${to})`);
    // PostgreSQL refuses NUL in text: a query holding one is the caller's mistake (400), not an outage (503).
    if (query.source?.includes('\u0000') || query.category?.includes('\u0000')) {
      throw new NetcoreAnalyticsQueryError("'source' and 'category' must not contain NUL characters");
    }
    const source = query.source ?? null;
    const category = query.category ?? null;
    const params = this.parameters(query);

    const funnel = { sent: 0, delivered: 0, read: 0, failed: 0, clicked: 0 };
    const counts = this.table(NetcoreAnalyticsDailyCount);
    const rows = await namedQuery<{ status: string; total: string | number }>(
      this.dataSource,
      `SELECT c."status" AS "status", SUM(c."count") AS "total" FROM ${counts} c ` +
        `WHERE c."day" >= :from AND c."day" <= :to AND c."status" IN (${FUNNEL.map((s) => `'${s}'`).join(', ')})` +
        `${this.filters('c', query)} GROUP BY c."status"`,
      params,
    );
    for (const row of rows) funnel[row.status as keyof typeof funnel] = Number(row.total);

    return {
      from,
      to,
      source,
      category,
      funnel,
      rates: {
        delivery: rate(funnel.delivered, funnel.sent),
        read: rate(funnel.read, funnel.delivered),
        failure: rate(funnel.failed, funnel.sent),
      },
      timing: {
        sentToDelivered: await this.timing('sent', 'delivered', query),
        deliveredToRead: await this.timing('delivered', 'read', query),
      },
      topFailureRemarks: await this.topFailureRemarks(query),
    };
  }

  /** Durations from `earlier` to `later` for messages whose `later` fact is in the range. */
  private async timing(earlier: string, later: string, query: NetcoreAnalyticsQuery): Promise<NetcoreTimingFigures> {
    const facts = this.table(NetcoreAnalyticsEvent);
    const pairs =
      `FROM ${facts} b JOIN ${facts} a ON a."ncmessage_id" = b."ncmessage_id" AND a."status" = :earlier ` +
      `WHERE b."status" = :later AND b."day" >= :from AND b."day" <= :to${this.filters('b', query)}`;
    const params = { ...this.parameters(query), earlier, later };
    const [{ n }] = await namedQuery<{ n: string | number }>(this.dataSource, `SELECT COUNT(*) AS "n" ${pairs}`, params);
    const count = Number(n);
    // Nearest rank: the smallest value with at least p of the durations at or below it.
    const percentile = async (p: number) => {
      if (!count) return null;
      const offset = Math.ceil(p * count) - 1;
      const [row] = await namedQuery<{ ms: string | number }>(
        this.dataSource,
        `SELECT (b."received_at" - a."received_at") AS "ms" ${pairs} ORDER BY 1 LIMIT 1 OFFSET ${offset}`,
        params,
      );
      return Number(row.ms) / 1000;
    };
    return { count, medianSeconds: await percentile(0.5), p90Seconds: await percentile(0.9) };
  }

  private async topFailureRemarks(query: NetcoreAnalyticsQuery): Promise<{ remark: string; count: number }[]> {
    const facts = this.table(NetcoreAnalyticsEvent);
    const rows = await namedQuery<{ remark: string; n: string | number }>(
      this.dataSource,
      `SELECT f."remark" AS "remark", COUNT(*) AS "n" FROM ${facts} f ` +
        `WHERE f."status" = 'failed' AND f."day" >= :from AND f."day" <= :to${this.filters('f', query)} ` +
        `GROUP BY f."remark"`,
      this.parameters(query),
    );
    // Ranked here, not in SQL: ties must not depend on the database's collation.
    return rows
      .map((r) => ({ remark: r.remark, count: Number(r.n) }))
      .sort((a, b) => b.count - a.count || (a.remark < b.remark ? -1 : a.remark > b.remark ? 1 : 0))
      .slice(0, TOP_REMARKS);
  }

  private parameters({ from, to, source, category }: NetcoreAnalyticsQuery): Record<string, string> {
    // Stored as fitColumn made them (a long source cut, a lone surrogate as U+FFFD): the value as sent finds them.
    return {
      from,
      to,
      ...(source !== undefined ? { source: fitColumn(source, ANALYTICS_SOURCE_LENGTH) } : {}),
      ...(category !== undefined ? { category: fitColumn(category, ANALYTICS_CATEGORY_LENGTH) } : {}),
    };
  }

  private filters(alias: string, query: NetcoreAnalyticsQuery): string {
    return (
      (query.source !== undefined ? ` AND ${alias}."source" = :source` : '') +
      (query.category !== undefined ? ` AND ${alias}."category" = :category` : '')
    );
  }

  private table(entity: Function): string {
    return `"${this.dataSource.getMetadata(entity).tableName}"`;
  }
}
