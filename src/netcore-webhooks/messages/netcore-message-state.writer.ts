import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { commutativeSet } from '../database/commutative-set';
import { fitColumn } from '../database/fit-column';
import { buildInsertOnConflict } from '../database/insert-on-conflict';
import { sqlStatement } from '../database/sql-statement';
import type { SqlSteps } from '../database/sql-steps';
import { upsertRounds } from '../database/upsert-rounds';
import { MESSAGE_NUMBER_LENGTH, NetcoreMessage } from '../entities/netcore-message.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { statusRank } from '../lifecycle/status-rank';

function messageRow(event: NetcoreMessageEvent): Partial<NetcoreMessage> {
  const at = (status: string) => (event.status === status ? event.receivedAt : null);
  const rank = statusRank(event.status);
  return {
    ncmessageId: event.ncmessageId,
    status: rank > 0 ? event.status : null,
    statusRank: rank,
    // Descriptive: cut to the column rather than refused (a failed event refused would leave its charge).
    recipient: event.recipient ? fitColumn(event.recipient, MESSAGE_NUMBER_LENGTH) : null,
    phoneNumber: event.phoneNumber ? fitColumn(event.phoneNumber, MESSAGE_NUMBER_LENGTH) : null,
    source: event.source || null,
    apiHeader: event.apiHeader || null,
    sentAt: at('sent'),
    deliveredAt: at('delivered'),
    readAt: at('read'),
    failedAt: at('failed'),
    failureReason: event.status === 'failed' ? (event.statusRemark ?? '') : null,
    firstClickedAt: at('clicked'),
    clickCount: 0,
    updatedAt: new Date(),
  };
}

/**
 * Folds events into `netcore_messages` with upserts whose SET clauses are commutative (highest rank,
 * earliest timestamp per status): any order, any repetition, any concurrency gives the same row, so a batch
 * is written as a few multi-row statements instead of one statement per event.
 */
@Injectable()
export class NetcoreMessageStateWriter {
  private upsertSql?: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The statements that fold `events` in; run them with `runSqlSteps`, in one transaction. */
  *steps(events: readonly NetcoreMessageEvent[]): SqlSteps<void> {
    const manager = this.dataSource.manager;
    for (const round of upsertRounds(events, (e) => e.ncmessageId)) {
      for (const statement of buildInsertOnConflict(manager, NetcoreMessage, round.map(messageRow), this.onConflict())) yield statement;
    }
    const clicked = [...new Set(events.filter((e) => e.status === 'clicked').map((e) => e.ncmessageId))].sort();
    if (clicked.length) yield this.recountClicks(clicked);
  }

  /** Counted from the inbox rather than incremented, so a redelivered click is not counted twice. */
  private recountClicks(ncmessageIds: string[]) {
    const messages = `"${this.dataSource.getMetadata(NetcoreMessage).tableName}"`;
    const inbox = `"${this.dataSource.getMetadata(NetcoreWebhookEvent).tableName}"`;
    return sqlStatement(
      this.dataSource,
      (p) =>
        `UPDATE ${messages} SET "click_count" = (SELECT COUNT(*) FROM ${inbox} i ` +
        `WHERE i."ncmessage_id" = ${messages}."ncmessage_id" AND i."status" = 'clicked') WHERE "ncmessage_id" IN (${p.list(ncmessageIds)})`,
    );
  }

  private onConflict(): string {
    if (this.upsertSql) return this.upsertSql;
    const t = `"${this.dataSource.getMetadata(NetcoreMessage).tableName}"`;
    const higher = `EXCLUDED."status_rank" > ${t}."status_rank"`;
    const earliest = (c: string) => commutativeSet.earliest(t, c);
    const latestKnown = (c: string) => `"${c}" = COALESCE(EXCLUDED."${c}", ${t}."${c}")`;
    this.upsertSql = `("ncmessage_id") DO UPDATE SET ${[
      `"status" = CASE WHEN ${higher} THEN EXCLUDED."status" ELSE ${t}."status" END`,
      `"status_rank" = CASE WHEN ${higher} THEN EXCLUDED."status_rank" ELSE ${t}."status_rank" END`,
      latestKnown('recipient'),
      latestKnown('phone_number'),
      latestKnown('source'),
      latestKnown('api_header'),
      earliest('sent_at'),
      earliest('delivered_at'),
      earliest('read_at'),
      commutativeSet.earliestFailureReason(t),
      earliest('failed_at'),
      earliest('first_clicked_at'),
      `"updated_at" = EXCLUDED."updated_at"`,
    ].join(', ')}`;
    return this.upsertSql;
  }
}
