import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { fitColumn } from '../database/fit-column';
import { NetcoreDatabase, upsert } from '../database/netcore-database';
import { compareKeys } from '../database/upsert-rounds';
import { ANALYTICS_CATEGORY_LENGTH, ANALYTICS_SOURCE_LENGTH, NetcoreAnalyticsMessage } from '../entities/netcore-analytics-message.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import type { NetcoreAnalyticsSink } from './netcore-analytics-sink.interface';

type Row = NetcoreAnalyticsMessage;
type StatusColumn = 'sentAt' | 'deliveredAt' | 'readAt' | 'failedAt' | 'clickedAt';
const STATUS_COLUMNS: Record<string, StatusColumn> = { sent: 'sentAt', delivered: 'deliveredAt', read: 'readAt', failed: 'failedAt', clicked: 'clickedAt' };

/** The rule of every column: the value of the earlier event wins, a tie keeps what is stored (as the SQL below). */
const earlier = (candidate: Date | null, stored: Date | null) => candidate !== null && (stored === null || candidate < stored);

/** `row` and `next` (a later-recorded event of the same message) folded by the rules of the upsert. */
function merge(row: Row, next: Row): Row {
  const out = { ...row };
  if (earlier(next.firstAt, row.firstAt)) Object.assign(out, { firstAt: next.firstAt, source: next.source });
  if (next.lastAt > row.lastAt) out.lastAt = next.lastAt;
  if (earlier(next.categoryAt, row.categoryAt)) Object.assign(out, { categoryAt: next.categoryAt, category: next.category });
  if (earlier(next.failedAt, row.failedAt)) out.remark = next.remark;
  for (const column of Object.values(STATUS_COLUMNS)) if (earlier(next[column], row[column])) out[column] = next[column];
  return out;
}

/**
 * The default sink: one row per message (`netcore_analytics_messages`) holding the earliest event of each
 * status, upserted with "earliest wins" for every column. Those commute and repeat harmlessly, so a
 * duplicate, a redelivered event or a concurrent batch changes nothing it should not, on both databases.
 */
@Injectable()
export class TypeOrmAnalyticsSink implements NetcoreAnalyticsSink {
  private clause?: string;

  constructor(private readonly db: NetcoreDatabase) {}

  record(event: NetcoreMessageEvent): Promise<void> {
    return this.recordMany([event]);
  }

  recordMany(events: readonly NetcoreMessageEvent[]): Promise<void> {
    return this.db.write((manager) => this.recordIn(manager, events));
  }

  /** Records `events` in the caller's transaction (the module's processing, when this is the analytics sink). */
  async recordIn(manager: EntityManager, events: readonly NetcoreMessageEvent[]): Promise<void> {
    const rows = new Map<string, Row>();
    for (const event of events) {
      const column = STATUS_COLUMNS[event.status];
      if (!column) continue; // A status Netcore may add later is not part of the funnel.
      const at = event.receivedAt;
      const category = fitColumn(event.pricing?.category ?? '', ANALYTICS_CATEGORY_LENGTH);
      const next: Row = {
        ncmessageId: event.ncmessageId,
        source: fitColumn(event.source ?? '', ANALYTICS_SOURCE_LENGTH),
        category,
        categoryAt: category ? at : null,
        firstAt: at,
        lastAt: at,
        sentAt: null,
        deliveredAt: null,
        readAt: null,
        failedAt: null,
        clickedAt: null,
        [column]: at,
        remark: event.status === 'failed' ? (event.statusRemark ?? '') : '',
      };
      const row = rows.get(event.ncmessageId);
      rows.set(event.ncmessageId, row ? merge(row, next) : next);
    }
    // One lock order for every transaction (PostgreSQL): concurrent batches wait on each other, never deadlock.
    const sorted = [...rows.values()].sort((a, b) => compareKeys(a.ncmessageId, b.ncmessageId));
    await upsert(manager, NetcoreAnalyticsMessage, sorted, this.earliestWins());
  }

  private earliestWins(): string {
    if (this.clause) return this.clause;
    const t = this.db.table(NetcoreAnalyticsMessage);
    // Both databases evaluate every SET expression against the stored row, so `at` is still the old one.
    const earliest = (column: string, at = column) =>
      `"${column}" = CASE WHEN EXCLUDED."${at}" < ${t}."${at}" OR ${t}."${at}" IS NULL THEN EXCLUDED."${column}" ELSE ${t}."${column}" END`;
    const sets = [
      earliest('source', 'first_at'),
      earliest('category', 'category_at'),
      earliest('category_at'),
      earliest('first_at'),
      `"last_at" = CASE WHEN EXCLUDED."last_at" > ${t}."last_at" THEN EXCLUDED."last_at" ELSE ${t}."last_at" END`,
      ...['sent_at', 'delivered_at', 'read_at', 'clicked_at'].map((column) => earliest(column)),
      earliest('remark', 'failed_at'),
      earliest('failed_at'),
    ];
    return (this.clause = `("ncmessage_id") DO UPDATE SET ${sets.join(', ')}`);
  }
}
