import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** The last billing decision put in the outbox for a host's sink (`none` before any). */
export type NetcoreBillingCommanded = 'none' | 'charged' | 'voided';

/** A message's billing facts, folded in by commuting upserts so its billing decision ignores arrival order and concurrency. */
@Entity({ name: 'netcore_billing_states' })
export class NetcoreBillingState {
  @PrimaryColumn({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  /** `received_at` of the earliest billable event; null while none was processed. */
  @Column({ name: 'billable_at', type: 'bigint', nullable: true, transformer: epochMs })
  billableAt!: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  category!: string | null;

  @Column({ name: 'pricing_model', type: 'varchar', length: 64, nullable: true })
  pricingModel!: string | null;

  @Column({ name: 'pricing_type', type: 'varchar', length: 64, nullable: true })
  pricingType!: string | null;

  /** Earliest `failed` received_at. */
  @Column({ name: 'failed_at', type: 'bigint', nullable: true, transformer: epochMs })
  failedAt!: Date | null;

  /** `status_remark` of the earliest failure. */
  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;

  /** Earliest `delivered` or `read` received_at (read implies delivered). */
  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs })
  deliveredAt!: Date | null;

  /** Written in the transaction that enqueued the commands, so what a host's sink will be told is always known. */
  @Column({ type: 'varchar', length: 16, default: 'none' })
  commanded!: NetcoreBillingCommanded;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
