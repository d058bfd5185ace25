import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fitColumn } from '../database/fit-column';
import { buildInsertOnConflict } from '../database/insert-on-conflict';
import { runSqlSteps } from '../database/run-sql-steps';
import type { SqlRows, SqlSteps } from '../database/sql-steps';
import { MAX_KEYS_PER_STATEMENT, sqlStatement } from '../database/sql-statement';
import { compareKeys } from '../database/upsert-rounds';
import { ignoredFields } from '../dto/validate-delivery-status';
import { NetcoreAnalyticsDailyCount } from '../entities/netcore-analytics-daily-count.entity';
import { ANALYTICS_CATEGORY_LENGTH, ANALYTICS_SOURCE_LENGTH, NetcoreAnalyticsEvent } from '../entities/netcore-analytics-event.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import type { NetcoreAnalyticsSink } from './netcore-analytics-sink.interface';
import { utcDay } from './utc-day';

type Fact = NetcoreAnalyticsEvent;
const bucketOf = (f: Pick<Fact, 'day' | 'status' | 'category' | 'source'>) => JSON.stringify([f.day, f.status, f.category, f.source]);

/**
 * The default sink: one fact per message and status (`netcore_analytics_events`, first one wins) and daily
 * counters per day x status x category x source (`netcore_analytics_daily_counts`).
 *
 * A counter is raised by the number of facts its transaction actually inserted (the INSERT's RETURNING), in
 * the same transaction: a duplicate or redelivered event adds no fact, so it cannot count twice, and a
 * crash loses the fact and its count together. Constant work per event, whatever the size of the bucket.
 */
@Injectable()
export class TypeOrmAnalyticsSink implements NetcoreAnalyticsSink {
  private countSql?: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(event: NetcoreMessageEvent): Promise<void> {
    return this.recordMany([event]);
  }

  async recordMany(events: readonly NetcoreMessageEvent[]): Promise<void> {
    await runSqlSteps(this.dataSource, () => this.steps(events));
  }

  /**
   * The statements that record `events` (run them with `runSqlSteps`). The module's processing runs them in
   * its message-state transaction when this is the analytics sink: one commit less per batch.
   */
  *steps(events: readonly NetcoreMessageEvent[]): SqlSteps<void> {
    const categories = yield* this.knownCategories(events.filter((e) => e.pricing?.category === undefined).map((e) => e.ncmessageId));
    const facts = new Map<string, Fact>();
    for (const event of events) {
      const key = JSON.stringify([event.ncmessageId, event.status]);
      if (facts.has(key)) continue;
      facts.set(key, {
        ncmessageId: event.ncmessageId,
        status: event.status,
        day: utcDay(event.receivedAt),
        category: fitColumn(event.pricing?.category ?? categories.get(event.ncmessageId) ?? '', ANALYTICS_CATEGORY_LENGTH),
        source: fitColumn(event.source ?? '', ANALYTICS_SOURCE_LENGTH),
        receivedAt: event.receivedAt,
        remark: event.statusRemark ?? '',
      });
    }
    // One lock order for every transaction (PostgreSQL): concurrent batches wait on each other, never deadlock.
    const sorted = [...facts].sort(([a], [b]) => compareKeys(a, b)).map(([, fact]) => fact);
    yield* this.factSteps(sorted);
  }

  private *factSteps(facts: Fact[]): SqlSteps<void> {
    const manager = this.dataSource.manager;
    const added = new Map<string, NetcoreAnalyticsDailyCount>();
    const insertFacts = '("ncmessage_id", "status") DO NOTHING RETURNING "day", "status", "category", "source"';
    for (const statement of buildInsertOnConflict(manager, NetcoreAnalyticsEvent, facts, insertFacts)) {
      const rows = yield statement;
      for (const row of rows as Pick<Fact, 'day' | 'status' | 'category' | 'source'>[]) {
        const key = bucketOf(row);
        const bucket = added.get(key) ?? { day: row.day, status: row.status, category: row.category, source: row.source, count: 0 };
        bucket.count++;
        added.set(key, bucket);
      }
    }
    const buckets = [...added].sort(([a], [b]) => compareKeys(a, b)).map(([, bucket]) => bucket);
    for (const statement of buildInsertOnConflict(manager, NetcoreAnalyticsDailyCount, buckets, this.addCounts())) yield statement;
  }

  private addCounts(): string {
    const counts = `"${this.dataSource.getMetadata(NetcoreAnalyticsDailyCount).tableName}"`;
    return (this.countSql ??= `("day", "status", "category", "source") DO UPDATE SET "count" = ${counts}."count" + EXCLUDED."count"`);
  }

  /**
   * Failed events carry no pricing (and an event's invalid pricing is ignored): the category comes from the
   * message's earliest event whose pricing has one.
   */
  private *knownCategories(ncmessageIds: string[]): SqlSteps<Map<string, string>> {
    const found = new Map<string, string>();
    const ids = [...new Set(ncmessageIds)];
    const inbox = `"${this.dataSource.getMetadata(NetcoreWebhookEvent).tableName}"`;
    for (let i = 0; i < ids.length; i += MAX_KEYS_PER_STATEMENT) {
      const chunk = ids.slice(i, i + MAX_KEYS_PER_STATEMENT);
      const rows: SqlRows = yield sqlStatement(this.dataSource, (p) =>
        this.dataSource.options.type === 'postgres'
          ? // One index lookup per message, whatever the statistics say: with statistics taken while the inbox was
            // small, PostgreSQL read `IN (...)` as a sequential scan of the whole inbox (60-120 ms per batch,
            // under the locks of the batch's transaction). The inner ORDER BY keeps the subquery from being
            // flattened into a join the planner could again turn into that scan.
            `SELECT e."ncmessage_id", e."payload" FROM unnest(${p(chunk)}::varchar[]) AS k("id") CROSS JOIN LATERAL ` +
            `(SELECT "ncmessage_id", "payload", "received_at", "id" FROM ${inbox} WHERE "ncmessage_id" = k."id" AND "status" <> 'failed' ` +
            `ORDER BY "received_at", "id") AS e ORDER BY e."received_at", e."id"`
          : `SELECT "ncmessage_id", "payload" FROM ${inbox} WHERE "ncmessage_id" IN (${p.list(chunk)}) AND "status" <> 'failed' ` +
            `ORDER BY "received_at", "id"`,
      );
      for (const row of rows) {
        const ncmessageId = String(row.ncmessage_id);
        if (found.has(ncmessageId)) continue;
        const raw = JSON.parse(String(row.payload)) as Record<string, unknown> & { pricing?: { category?: unknown } };
        const category = raw.pricing?.category;
        if (typeof category === 'string' && !ignoredFields(raw).includes('pricing')) found.set(ncmessageId, category);
      }
    }
    return found;
  }
}
