import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { commutativeSet } from '../database/commutative-set';
import { fitColumn } from '../database/fit-column';
import { NetcoreDatabase, upsert } from '../database/netcore-database';
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
 * earliest timestamp per status): any order, any repetition, any concurrency gives the same row.
 */
@Injectable()
export class NetcoreMessageStateWriter {
  private clause?: string;

  constructor(private readonly db: NetcoreDatabase) {}

  async record(manager: EntityManager, events: readonly NetcoreMessageEvent[]): Promise<void> {
    for (const round of upsertRounds(events, (e) => e.ncmessageId)) await upsert(manager, NetcoreMessage, round.map(messageRow), this.upsertClause());
    const clicked = [...new Set(events.filter((e) => e.status === 'clicked').map((e) => e.ncmessageId))].sort();
    if (clicked.length) await this.recountClicks(manager, clicked);
  }

  /** Counted from the inbox rather than incremented, so a redelivered click is not counted twice. */
  private async recountClicks(manager: EntityManager, ncmessageIds: string[]): Promise<void> {
    const clicks = manager
      .createQueryBuilder()
      .subQuery()
      .select('COUNT(*)')
      .from(NetcoreWebhookEvent, 'i')
      .where(`i.ncmessageId = ${this.db.table(NetcoreMessage)}."ncmessage_id"`)
      .andWhere(`i.status = 'clicked'`)
      .getQuery();
    await manager
      .createQueryBuilder()
      .update(NetcoreMessage)
      .set({ clickCount: () => clicks })
      .where({ ncmessageId: In(ncmessageIds) })
      .execute();
  }

  private upsertClause(): string {
    if (this.clause) return this.clause;
    const t = this.db.table(NetcoreMessage);
    const higher = `EXCLUDED."status_rank" > ${t}."status_rank"`;
    const earliest = (c: string) => commutativeSet.earliest(t, c);
    const latestKnown = (c: string) => `"${c}" = COALESCE(EXCLUDED."${c}", ${t}."${c}")`;
    return (this.clause = `("ncmessage_id") DO UPDATE SET ${[
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
    ].join(', ')}`);
  }
}
