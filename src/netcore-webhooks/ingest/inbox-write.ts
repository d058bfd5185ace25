import type { StoredEvent } from '../dispatch/netcore-event-dispatcher.service';
import type { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import type { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';

/** A valid event of one request, unique within it by idempotency key. */
export interface PendingInboxRow {
  row: NetcoreWebhookEvent;
  raw: Record<string, unknown>;
  /** Repeats of the same key within the same request. */
  repeats: number;
}

/** What one request asks the inbox to store. */
export interface InboxWrite {
  rows: PendingInboxRow[];
  deadLetters: NetcoreDeadLetter[];
}

/** The rows this request stored first; its other rows were already there (duplicates). */
export type InboxWriteResult = Pick<StoredEvent, 'id' | 'status' | 'raw'>[];
