import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { insertOnConflictReturning } from '../database/insert-on-conflict-returning';
import { namedQuery } from '../database/named-query';
import { NetcoreAnalyticsDailyCount } from '../entities/netcore-analytics-daily-count.entity';
import { NetcoreAnalyticsEvent } from '../entities/netcore-analytics-event.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import type { NetcoreAnalyticsSink } from './netcore-analytics-sink.interface';
import { utcDay } from './utc-day';

/**
 * The default sink: one fact per message and status (`netcore_analytics_events`, first one wins) and daily
 * counters per day x status x category x source (`netcore_analytics_daily_counts`).
 *
 * A counter is never blindly incremented: it is set to the COUNT of its facts, and only ever raised
 * (facts only grow). A duplicate or redelivered event adds no fact, so it cannot count twice, and a
 * recount lost to a concurrent one is made up by the other, whose count already includes it; no
 * transaction is needed for that, which matters on SQLite where TypeORM shares one connection.
 */
@Injectable()
export class TypeOrmAnalyticsSink implements NetcoreAnalyticsSink {
  private recountSql?: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(event: NetcoreMessageEvent): Promise<void> {
    const key = { ncmessageId: event.ncmessageId, status: event.status };
    const fact = {
      ...key,
      day: utcDay(event.receivedAt),
      category: event.pricing?.category ?? (await this.knownCategory(event.ncmessageId)),
      source: event.source ?? '',
      receivedAt: event.receivedAt,
      remark: event.statusRemark ?? '',
    };
    const inserted = await insertOnConflictReturning(
      this.dataSource.manager,
      NetcoreAnalyticsEvent,
      [fact],
      '("ncmessage_id", "status") DO NOTHING',
      ['ncmessage_id'],
    );
    // Already there (a redelivery, or an earlier event of that status): recount the bucket of the stored fact.
    const bucket = inserted.length ? fact : await this.dataSource.getRepository(NetcoreAnalyticsEvent).findOneByOrFail(key);
    await namedQuery(this.dataSource, this.recount(), {
      day: bucket.day,
      status: bucket.status,
      category: bucket.category,
      source: bucket.source,
    });
  }

  /** Failed events carry no pricing: take the category from the message's events already stored. */
  private async knownCategory(ncmessageId: string): Promise<string> {
    const rows = await this.dataSource
      .getRepository(NetcoreWebhookEvent)
      .createQueryBuilder('e')
      .select('e.payload', 'payload')
      .where("e.ncmessageId = :ncmessageId AND e.status <> 'failed'", { ncmessageId })
      .orderBy('e.receivedAt')
      .addOrderBy('e.id')
      .getRawMany<{ payload: string }>();
    for (const { payload } of rows) {
      const category = (JSON.parse(payload) as { pricing?: { category?: unknown } }).pricing?.category;
      if (typeof category === 'string') return category;
    }
    return '';
  }

  private recount(): string {
    if (this.recountSql) return this.recountSql;
    const counts = `"${this.dataSource.getMetadata(NetcoreAnalyticsDailyCount).tableName}"`;
    const facts = `"${this.dataSource.getMetadata(NetcoreAnalyticsEvent).tableName}"`;
    const bucket = `f."day" = :day AND f."status" = :status AND f."category" = :category AND f."source" = :source`;
    // CAST: PostgreSQL cannot infer the type of a bare parameter in a SELECT list.
    this.recountSql =
      `INSERT INTO ${counts} ("day", "status", "category", "source", "count") ` +
      `SELECT CAST(:day AS varchar(10)), CAST(:status AS varchar(32)), CAST(:category AS varchar(64)), CAST(:source AS varchar(128)), COUNT(*) ` +
      `FROM ${facts} f WHERE ${bucket} ` +
      `ON CONFLICT ("day", "status", "category", "source") DO UPDATE SET "count" = ` +
      `CASE WHEN EXCLUDED."count" > ${counts}."count" THEN EXCLUDED."count" ELSE ${counts}."count" END`;
    return this.recountSql;
  }
}
