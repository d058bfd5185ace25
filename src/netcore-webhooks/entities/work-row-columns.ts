import { Column } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** The columns of a queue table (the inbox's work, the billing outbox) that claims, retries and outcomes use. */
export abstract class WorkRowColumns {
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** When a failed row is due again (retry with backoff). */
  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs })
  nextAttemptAt!: Date | null;

  /** Until when a worker holds the row; another may take it over afterwards. */
  @Column({ name: 'locked_until', type: 'bigint', nullable: true, transformer: epochMs })
  lockedUntil!: Date | null;

  /** The worker (one per app instance) holding the row; outcomes are recorded only under its claim. */
  @Column({ name: 'claimed_by', type: 'varchar', length: 36, nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
