import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** Characters of `recipient` and `phoneNumber` a message row keeps (the raw payload keeps them whole). */
export const MESSAGE_NUMBER_LENGTH = 64;

/** Current state of one message, derived from all its events whatever order they came in. */
@Entity({ name: 'netcore_messages' })
export class NetcoreMessage {
  @PrimaryColumn({ name: 'ncmessage_id', type: 'varchar', length: 128 })
  ncmessageId!: string;

  /** Highest-ranked lifecycle status received (sent < failed < delivered < read); null until one arrives. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  status!: string | null;

  @Column({ name: 'status_rank', type: 'integer', default: 0 })
  statusRank!: number;

  @Column({ type: 'varchar', length: MESSAGE_NUMBER_LENGTH, nullable: true })
  recipient!: string | null;

  @Column({ name: 'phone_number', type: 'varchar', length: MESSAGE_NUMBER_LENGTH, nullable: true })
  phoneNumber!: string | null;

  @Column({ type: 'text', nullable: true })
  source!: string | null;

  @Column({ name: 'api_header', type: 'text', nullable: true })
  apiHeader!: string | null;

  @Column({ name: 'sent_at', type: 'bigint', nullable: true, transformer: epochMs })
  sentAt!: Date | null;

  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs })
  deliveredAt!: Date | null;

  @Column({ name: 'read_at', type: 'bigint', nullable: true, transformer: epochMs })
  readAt!: Date | null;

  @Column({ name: 'failed_at', type: 'bigint', nullable: true, transformer: epochMs })
  failedAt!: Date | null;

  /** `status_remark` of the failed event. */
  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ name: 'first_clicked_at', type: 'bigint', nullable: true, transformer: epochMs })
  firstClickedAt!: Date | null;

  @Column({ name: 'click_count', type: 'integer', default: 0 })
  clickCount!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
