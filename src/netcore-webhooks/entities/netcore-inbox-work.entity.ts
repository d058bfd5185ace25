import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { NetcoreWebhookEvent } from './netcore-webhook-event.entity';
import { WorkRowColumns } from './work-row-columns';

/** An event still to process, failing (waiting for its retry), or dead (a `processing` dead letter). */
export type NetcoreInboxWorkState = 'pending' | 'failed' | 'dead';

/** Rows due for a claim, written alike wherever queried: SQLite uses the partial index only for a query repeating it. */
export const UNPROCESSED_INBOX_ROWS = `"state" IN ('pending', 'failed')`;

/**
 * What is left to do with an inbox event: a narrow row, written with the event and deleted once the event is
 * processed, so the claims, heartbeats and completions of a backlog never rewrite a payload.
 */
@Entity({ name: 'netcore_inbox_work' })
// Only the backlog, in claim order: a claim reads its first rows without sorting.
@Index('idx_netcore_inbox_work_due', ['createdAt'], { where: UNPROCESSED_INBOX_ROWS })
export class NetcoreInboxWork extends WorkRowColumns {
  /** The event's id. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state!: NetcoreInboxWorkState;

  /** The event itself (not a column): loaded by the worker's claims, not by a plain find. */
  event!: NetcoreWebhookEvent;
}
