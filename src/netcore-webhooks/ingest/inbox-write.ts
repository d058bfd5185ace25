import type { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import type { NetcoreInboxWork } from '../entities/netcore-inbox-work.entity';
import type { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';

/** A valid event of one request, unique within it by idempotency key. */
export interface PendingInboxRow {
  row: NetcoreWebhookEvent;
  /** Repeats of the same key within the same request. */
  repeats: number;
}

/** What one request asks the inbox to store. */
export interface InboxWrite {
  rows: PendingInboxRow[];
  deadLetters: NetcoreDeadLetter[];
  /** Stores the new events already claimed by this worker, for it to process without a claim statement. */
  claim?: { claimedBy: string; lockedUntil: Date };
}

/** The work of the events this request stored first (each with its event); its other rows were already there (duplicates). */
export type InboxWriteResult = NetcoreInboxWork[];
