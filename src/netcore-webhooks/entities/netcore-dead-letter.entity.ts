import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

export type NetcoreDeadLetterReason = 'validation' | 'processing' | 'billing';
export type NetcoreDeadLetterState = 'open' | 'replayed' | 'discarded';

/** An item we could not take (validation) or could not process (processing), kept for inspection and replay. */
@Entity({ name: 'netcore_dead_letters' })
@Index('idx_netcore_dead_letters_reason', ['reason', 'state'])
export class NetcoreDeadLetter {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** sha256 of reason + payload: the same bad item sent again is counted, not stored twice. */
  @Index('uq_netcore_dead_letters_fingerprint', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  @Column({ type: 'varchar', length: 16 })
  reason!: NetcoreDeadLetterReason;

  /** JSON array of messages. */
  @Column({ type: 'text' })
  errors!: string;

  /** The item as received (JSON). */
  @Column({ type: 'text' })
  payload!: string;

  /** Inbox row (processing) or billing command (billing) that died. */
  @Column({ name: 'event_id', type: 'varchar', length: 140, nullable: true })
  eventId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  state!: NetcoreDeadLetterState;

  @Column({ type: 'integer', default: 1 })
  occurrences!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'resolved_at', type: 'bigint', nullable: true, transformer: epochMs })
  resolvedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  resolution!: string | null;
}
