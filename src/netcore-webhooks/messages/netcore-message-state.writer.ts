import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { commutativeSet } from '../database/commutative-set';
import { insertOnConflict } from '../database/insert-on-conflict';
import { NetcoreMessage } from '../entities/netcore-message.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { statusRank } from '../lifecycle/status-rank';

/**
 * Folds one event into `netcore_messages` with a single upsert whose SET clauses are commutative
 * (highest rank, earliest timestamp per status): any order, any repetition, any concurrency gives the same row.
 */
@Injectable()
export class NetcoreMessageStateWriter {
  private upsertSql?: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async apply(event: NetcoreMessageEvent): Promise<void> {
    const at = (status: string) => (event.status === status ? event.receivedAt : null);
    const rank = statusRank(event.status);
    await insertOnConflict(this.dataSource.manager, NetcoreMessage, [
      {
        ncmessageId: event.ncmessageId,
        status: rank > 0 ? event.status : null,
        statusRank: rank,
        recipient: event.recipient || null,
        phoneNumber: event.phoneNumber || null,
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
      },
    ], this.onConflict());
    if (event.status === 'clicked') await this.recountClicks(event.ncmessageId);
  }

  /** Counted from the inbox rather than incremented, so a redelivered click is not counted twice. */
  private async recountClicks(ncmessageId: string): Promise<void> {
    const inbox = this.dataSource.getMetadata(NetcoreWebhookEvent).tableName;
    await this.dataSource
      .createQueryBuilder()
      .update(NetcoreMessage)
      .set({
        clickCount: () =>
          `(SELECT COUNT(*) FROM "${inbox}" WHERE "${inbox}"."ncmessage_id" = :ncmessageId AND "${inbox}"."status" = 'clicked')`,
      })
      .where('ncmessage_id = :ncmessageId', { ncmessageId })
      .execute();
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
