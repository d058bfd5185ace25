import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

export type NetcoreBillingRecordState = 'charged' | 'voided';

/** The default billing sink's ledger: one row per message, charged, voided, and restored by a later delivery. */
@Entity({ name: 'netcore_billing_records' })
@Index('idx_netcore_billing_records_charged_at', ['chargedAt'])
export class NetcoreBillingRecord {
  @PrimaryColumn({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  @Column({ type: 'varchar', length: 64 })
  category!: string;

  @Column({ name: 'pricing_model', type: 'varchar', length: 64 })
  pricingModel!: string;

  @Column({ name: 'pricing_type', type: 'varchar', length: 64 })
  pricingType!: string;

  /** `received_at` of the event whose pricing said billable. */
  @Column({ name: 'charged_at', type: 'bigint', transformer: epochMs })
  chargedAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  state!: NetcoreBillingRecordState;

  /** `received_at` of the failure that voided the charge. */
  @Column({ name: 'voided_at', type: 'bigint', nullable: true, transformer: epochMs })
  voidedAt!: Date | null;

  /** The failure's `status_remark`. */
  @Column({ name: 'void_reason', type: 'text', nullable: true })
  voidReason!: string | null;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
