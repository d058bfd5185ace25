/** A snapshot of the inbox and the dead letters, for metrics and health checks. */
export interface NetcoreInboxStats {
  /** Stored, not yet processed (being dispatched, or waiting for the sweep). */
  pending: number;
  /** A listener threw; waiting for the next attempt. */
  failed: number;
  /** Out of attempts; each has a dead letter (reason `processing`). */
  dead: number;
  processed: number;
  /** Open dead letters (not replayed or discarded), by reason. */
  openDeadLetters: { validation: number; processing: number; billing: number; total: number };
  /** Billing outbox commands for a host's sink not sent yet (waiting, retrying, or held behind a dead one). */
  unsentBillingCommands: number;
  /** `createdAt` of the oldest pending or failed row: how far behind processing is; null when none. */
  oldestUnprocessedAt: Date | null;
}
