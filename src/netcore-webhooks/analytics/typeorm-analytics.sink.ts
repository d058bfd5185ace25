import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { fitColumn } from '../database/fit-column';
import { NetcoreDatabase, upsert } from '../database/netcore-database';
import { compareKeys } from '../database/upsert-rounds';
import { NetcoreAnalyticsDailyCount } from '../entities/netcore-analytics-daily-count.entity';
import { ANALYTICS_CATEGORY_LENGTH, ANALYTICS_SOURCE_LENGTH, NetcoreAnalyticsEvent } from '../entities/netcore-analytics-event.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import type { NetcoreAnalyticsSink } from './netcore-analytics-sink.interface';
import { utcDay } from './utc-day';

type Fact = NetcoreAnalyticsEvent;
type Bucket = Pick<Fact, 'day' | 'status' | 'category' | 'source'>;
const bucketOf = (f: Bucket) => JSON.stringify([f.day, f.status, f.category, f.source]);

/**
 * The default sink: one fact per message and status (`netcore_analytics_events`, first one wins) and daily
 * counters per day x status x category x source (`netcore_analytics_daily_counts`).
 *
 * A counter is raised by the number of facts its transaction actually inserted (the INSERT's RETURNING), in
 * the same transaction: a duplicate or redelivered event adds no fact, so it cannot count twice, and a
 * crash loses the fact and its count together.
 */
@Injectable()
export class TypeOrmAnalyticsSink implements NetcoreAnalyticsSink {
  private countClause?: string;

  constructor(private readonly db: NetcoreDatabase) {}

  record(event: NetcoreMessageEvent): Promise<void> {
    return this.recordMany([event]);
  }

  recordMany(events: readonly NetcoreMessageEvent[]): Promise<void> {
    return this.db.write((manager) => this.recordIn(manager, events));
  }

  /** Records `events` in the caller's transaction (the module's processing, when this is the analytics sink). */
  async recordIn(manager: EntityManager, events: readonly NetcoreMessageEvent[]): Promise<void> {
    const facts = new Map<string, Fact>();
    for (const event of events) {
      const key = JSON.stringify([event.ncmessageId, event.status]);
      if (facts.has(key)) continue;
      facts.set(key, {
        ncmessageId: event.ncmessageId,
        status: event.status,
        day: utcDay(event.receivedAt),
        category: fitColumn(event.pricing?.category ?? '', ANALYTICS_CATEGORY_LENGTH),
        source: fitColumn(event.source ?? '', ANALYTICS_SOURCE_LENGTH),
        receivedAt: event.receivedAt,
        remark: event.statusRemark ?? '',
      });
    }
    // One lock order for every transaction (PostgreSQL): concurrent batches wait on each other, never deadlock.
    const sorted = [...facts].sort(([a], [b]) => compareKeys(a, b)).map(([, fact]) => fact);
    // Events without a category (failed ones carry no pricing) take their message's, from its facts with one:
    // recorded first, so a batch holding both finds it.
    const priced = sorted.filter((f) => f.category !== '');
    const added = await this.insertFacts(manager, priced);
    const unpriced = sorted.filter((f) => f.category === '');
    const categories = await this.knownCategories(manager, unpriced.map((f) => f.ncmessageId));
    for (const fact of unpriced) fact.category = categories.get(fact.ncmessageId) ?? '';
    added.push(...(await this.insertFacts(manager, unpriced)));
    const buckets = new Map<string, NetcoreAnalyticsDailyCount>();
    for (const row of added) {
      const key = bucketOf(row);
      const bucket = buckets.get(key) ?? { ...row, count: 0 };
      bucket.count++;
      buckets.set(key, bucket);
    }
    const sortedBuckets = [...buckets].sort(([a], [b]) => compareKeys(a, b)).map(([, bucket]) => bucket);
    await upsert(manager, NetcoreAnalyticsDailyCount, sortedBuckets, this.addCounts());
  }

  /** Inserts the facts not recorded yet; answers the buckets of those it inserted. */
  private async insertFacts(manager: EntityManager, facts: Fact[]): Promise<Bucket[]> {
    const rows = await upsert(manager, NetcoreAnalyticsEvent, facts, '("ncmessage_id", "status") DO NOTHING RETURNING "day", "status", "category", "source"');
    return rows.map(({ day, status, category, source }) => ({ day, status, category, source }));
  }

  private async knownCategories(manager: EntityManager, ncmessageIds: string[]): Promise<Map<string, string>> {
    const ids = [...new Set(ncmessageIds)];
    if (!ids.length) return new Map();
    const rows = await manager
      .getRepository(NetcoreAnalyticsEvent)
      .createQueryBuilder('f')
      .select(['f.ncmessageId', 'f.category', 'f.receivedAt'])
      .where({ ncmessageId: In(ids) })
      .andWhere(`f.category <> ''`)
      .orderBy('f.receivedAt')
      .getMany();
    const found = new Map<string, string>();
    for (const row of rows) if (!found.has(row.ncmessageId)) found.set(row.ncmessageId, row.category);
    return found;
  }

  private addCounts(): string {
    const counts = this.db.table(NetcoreAnalyticsDailyCount);
    return (this.countClause ??= `("day", "status", "category", "source") DO UPDATE SET "count" = ${counts}."count" + EXCLUDED."count"`);
  }
}
