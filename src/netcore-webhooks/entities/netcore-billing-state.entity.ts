import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/**
 * What the billing sink has been told about a message: `none`, `charged` or `voided` for certain; `uncharged`
 * (a void was made without knowing the state: no standing charge, but maybe never one); or not known,
 * `calling` (a worker is calling it, or was when it died or its call threw) or `unknown` (a worker's call
 * returned after another took the message over). Not known, the next worker makes the calls that reach the
 * decision from any state.
 */
export type NetcoreBillingNotified = 'none' | 'charged' | 'voided' | 'uncharged' | 'calling' | 'unknown';

/**
 * Billing facts of one message, folded from its events by an upsert whose clauses commute (first billable
 * pricing, earliest failure, earliest delivery), so the decision derived from them does not depend on
 * arrival order or concurrency. `notified` and the claim columns make each sink call happen once.
 */
@Entity({ name: 'netcore_billing_states' })
export class NetcoreBillingState {
  @PrimaryColumn({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  /** `received_at` of the first billable event stored for the message; null while none was. */
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

  @Column({ type: 'varchar', length: 16, default: 'none' })
  notified!: NetcoreBillingNotified;

  /** Set while one worker calls the sink for this message; expires so a crashed worker does not block it. */
  @Column({ name: 'claim_token', type: 'varchar', length: 36, nullable: true })
  claimToken!: string | null;

  @Column({ name: 'claimed_until', type: 'bigint', nullable: true, transformer: epochMs })
  claimedUntil!: Date | null;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
