/** An inbox row as the dispatcher needs it, held under a claim. */
export interface StoredEvent {
  id: string;
  status: string;
  raw: Record<string, unknown>;
  /** Token of the claim (see `claimed_by`): the outcome is recorded only while the claim still holds. */
  claim: string;
  /** When the claim's lease ends (epoch ms): a run renews it first when less than half of it is left. */
  leaseUntil: number;
  /** A failure goes straight to the dead letters (a replay is one more attempt, not a new series). */
  lastAttempt?: boolean;
  /**
   * Processed after an earlier attempt that failed, or died holding it (a sweep's takeover), or replayed: that
   * attempt may have called a host's billing sink without recording the outcome.
   */
  redelivered?: boolean;
}

/** What became of an event whose listener threw. */
export type FailureOutcome =
  | { state: 'failed'; attempts: number; nextAttemptAt: Date }
  | { state: 'dead'; attempts: number }
  /** The lease expired and another dispatcher took the row over; it records the outcome instead. */
  | { state: 'lost' };
