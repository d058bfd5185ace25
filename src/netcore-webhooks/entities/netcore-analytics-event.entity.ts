import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** Characters of `source` the analytics tables keep (Netcore sets no limit; the message row keeps it whole). */
export const ANALYTICS_SOURCE_LENGTH = 128;
export const ANALYTICS_CATEGORY_LENGTH = 64;

/**
 * One row per message and status, from the first event of that status that was recorded: the unit the
 * funnel counts ("messages delivered"), and the timestamps the timing figures are computed from.
 * Inserted with ON CONFLICT DO NOTHING, so a duplicate or a redelivered event changes nothing.
 */
@Entity({ name: 'netcore_analytics_events' })
@Index('idx_netcore_analytics_events_bucket', ['day', 'status', 'category', 'source'])
export class NetcoreAnalyticsEvent {
  @PrimaryColumn({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  status!: string;

  /** UTC day of `receivedAt`, `YYYY-MM-DD`. */
  @Column({ type: 'varchar', length: 10 })
  day!: string;

  /** Pricing category of the event, or of the message's earlier events (failed events carry no pricing); '' when unknown. */
  @Column({ type: 'varchar', length: ANALYTICS_CATEGORY_LENGTH })
  category!: string;

  @Column({ type: 'varchar', length: ANALYTICS_SOURCE_LENGTH })
  source!: string;

  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs })
  receivedAt!: Date;

  /** `status_remark` (kept for failures: the top failure remarks). */
  @Column({ type: 'text', default: '' })
  remark!: string;
}
