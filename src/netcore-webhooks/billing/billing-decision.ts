import type { NetcoreBillingNotified } from '../entities/netcore-billing-state.entity';

export interface BillingFacts {
  billableAt: Date | null;
  failedAt: Date | null;
  deliveredAt: Date | null;
}

export type BillingDecision = 'none' | 'charged' | 'voided';
export type BillingCall = 'charge' | 'void' | 'restore';

/**
 * The billing rules as a function of facts that only ever grow, so the answer is the same whatever order
 * the events came in: billed when some event said billable, unless the message failed and was never
 * delivered or read.
 */
export function decideBilling(facts: BillingFacts): BillingDecision {
  if (!facts.billableAt) return 'none';
  if (facts.failedAt && !facts.deliveredAt) return 'voided';
  return 'charged';
}

/**
 * The sink call that brings the sink from what it was told to the decision, or null when nothing is due.
 * A message that is voided before the sink heard of it was simply never billed: no charge, no void.
 */
export function billingCall(notified: NetcoreBillingNotified, decision: BillingDecision): BillingCall | null {
  if (decision === 'charged') return notified === 'none' ? 'charge' : notified === 'voided' ? 'restore' : null;
  if (decision === 'voided') return notified === 'charged' ? 'void' : null;
  return null;
}

/**
 * The call due when what the sink was told is uncertain: a worker's claim ran out (it crashed, or its call
 * outlasted the claim), so it may have made its call without recording it, and the sink may be one call
 * ahead of `notified`. Answers the call that brings the sink to the decision from either state; the sink
 * may then hear a `void` for a charge it never got, or a `restore` for a charge never voided.
 */
export function convergingCall(notified: NetcoreBillingNotified, decision: BillingDecision): BillingCall | null {
  if (decision === 'charged') return notified === 'none' ? 'charge' : 'restore';
  if (decision === 'voided') return 'void';
  return null;
}

/** What the sink knows after `call`. */
export function notifiedAfter(call: BillingCall): NetcoreBillingNotified {
  return call === 'void' ? 'voided' : 'charged';
}
