import type { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
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
}

/** The rows this request stored first; its other rows were already there (duplicates). */
export type InboxWriteResult = NetcoreWebhookEvent[];
