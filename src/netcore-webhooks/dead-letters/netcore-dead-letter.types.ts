import type { NetcoreDeadLetter, NetcoreDeadLetterReason, NetcoreDeadLetterState } from '../entities/netcore-dead-letter.entity';

export interface NetcoreDeadLetterQuery {
  reason?: NetcoreDeadLetterReason;
  state?: NetcoreDeadLetterState;
  /** 1-based. @default 1 */
  page?: number;
  /** @default 50, at most 500 */
  pageSize?: number;
}

export interface NetcoreDeadLetterPage {
  items: NetcoreDeadLetter[];
  total: number;
  page: number;
  pageSize: number;
}

/**
 * - `replayed`: processed now (reason `processing`), or stored in the inbox (reason `validation`); the letter is kept, marked replayed
 * - `failed`: a listener threw again; the letter stays open with the new error
 * - `invalid`: the payload still fails validation; the letter stays open with the current errors
 * - `not-open`: already replayed or discarded (or being replayed by someone else)
 * - `not-found`: no dead letter with that id
 */
export type NetcoreReplayOutcome = 'replayed' | 'failed' | 'invalid' | 'not-open' | 'not-found';

export interface NetcoreReplayResult {
  id: string;
  outcome: NetcoreReplayOutcome;
  /** Why it failed or is invalid. */
  errors?: string[];
}

/** A dead letter as the admin endpoints answer it: `errors` and `payload` as JSON values, not JSON text. */
export interface NetcoreDeadLetterView extends Omit<NetcoreDeadLetter, 'errors' | 'payload'> {
  errors: string[];
  /** The item as received. */
  payload: unknown;
}

export interface NetcoreDeadLetterViewPage extends Omit<NetcoreDeadLetterPage, 'items'> {
  items: NetcoreDeadLetterView[];
}
