import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** Characters of `source` the analytics table keeps (Netcore sets no limit; the message row keeps it whole). */
export const ANALYTICS_SOURCE_LENGTH = 128;
export const ANALYTICS_CATEGORY_LENGTH = 64;

/** An instant column (epoch ms, as elsewhere); the status ones stay null until such an event arrives. */
const Instant = (name: string, nullable = true) => Column({ name, type: 'bigint', nullable, transformer: epochMs });

/**
 * One row per message: the earliest event of each status and of any status (its cohort), whatever order they
 * arrived in. Every column is an "earliest wins" (or latest, for `lastAt`) upsert, so duplicates, redeliveries
 * and concurrent batches commute; the funnel and the activity are GROUP BYs over it at read time.
 */
@Entity({ name: 'netcore_analytics_messages' })
@Index('idx_netcore_analytics_messages_cohort', ['firstAt'])
@Index('idx_netcore_analytics_messages_last', ['lastAt'])
export class NetcoreAnalyticsMessage {
  @PrimaryColumn({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  /** `source` of the message's earliest event. */
  @Column({ type: 'varchar', length: ANALYTICS_SOURCE_LENGTH })
  source!: string;

  /** Pricing category of its earliest event with valid pricing (failed events carry none); '' while unknown. */
  @Column({ type: 'varchar', length: ANALYTICS_CATEGORY_LENGTH, default: '' })
  category!: string;

  @Instant('category_at')
  categoryAt!: Date | null;

  /** Earliest event of any status: the UTC day of this is the message's cohort. */
  @Instant('first_at', false)
  firstAt!: Date;

  /** Latest event of any status: bounds the rows the activity of a range reads. */
  @Instant('last_at', false)
  lastAt!: Date;

  /** Earliest event of each status. */
  @Instant('sent_at') sentAt!: Date | null;
  @Instant('delivered_at') deliveredAt!: Date | null;
  @Instant('read_at') readAt!: Date | null;
  @Instant('failed_at') failedAt!: Date | null;
  @Instant('clicked_at') clickedAt!: Date | null;

  /** `status_remark` of the earliest failed event ('' without one): the top failure remarks. */
  @Column({ type: 'text', default: '' })
  remark!: string;
}
