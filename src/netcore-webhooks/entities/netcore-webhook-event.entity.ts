import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';
import { WorkRowColumns } from './work-row-columns';

export type NetcoreWebhookEventState = 'pending' | 'processed' | 'failed' | 'dead';

/** Rows still to process, written alike wherever queried: SQLite uses the partial index only for a query repeating it. */
export const UNPROCESSED_INBOX_ROWS = `"state" IN ('pending', 'failed')`;

/** The inbox, written before the webhook is acknowledged; the unique `idempotencyKey` makes a retried webhook a duplicate. */
@Entity({ name: 'netcore_webhook_events' })
// Only the backlog, in claim order: a claim reads its first rows without sorting, and a processed row leaves it.
@Index('idx_netcore_webhook_events_backlog', ['createdAt'], { where: UNPROCESSED_INBOX_ROWS })
export class NetcoreWebhookEvent extends WorkRowColumns {
  /** UUID made by the module, so a batch is inserted without reading generated values back. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('uq_netcore_webhook_events_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey!: string;

  @Index('idx_netcore_webhook_events_message')
  @Column({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: string;

  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs })
  receivedAt!: Date;

  /** The item as received (JSON), extra fields included. */
  @Column({ type: 'text' })
  payload!: string;

  /** Invalid descriptive fields validation left out of the event (comma-separated), null when none. */
  @Column({ name: 'left_out', type: 'varchar', length: 200, nullable: true })
  leftOut!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state!: NetcoreWebhookEventState;

  /** How many more times the same event arrived after this row was stored. */
  @Column({ type: 'integer', default: 0 })
  duplicates!: number;

  @Column({ name: 'processed_at', type: 'bigint', nullable: true, transformer: epochMs })
  processedAt!: Date | null;
}
