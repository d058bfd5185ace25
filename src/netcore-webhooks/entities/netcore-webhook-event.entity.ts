import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/**
 * The inbox, written before the webhook is acknowledged; the unique `idempotencyKey` makes a retried webhook a
 * duplicate. A row is never rewritten (but for its duplicate counter): what is left to do with it lives in
 * `netcore_inbox_work`, so claims and completions write a few bytes instead of the payload.
 */
@Entity({ name: 'netcore_webhook_events' })
export class NetcoreWebhookEvent {
  /** Time-ordered UUID made by the module, so a batch is inserted without reading generated values back. */
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

  /** How many more times the same event arrived after this row was stored. */
  @Column({ type: 'integer', default: 0 })
  duplicates!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
