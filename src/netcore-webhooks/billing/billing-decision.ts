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
export function billingCall(notified: 'none' | 'charged' | 'voided', decision: BillingDecision): BillingCall | null {
  if (decision === 'charged') return notified === 'none' ? 'charge' : notified === 'voided' ? 'restore' : null;
  if (decision === 'voided') return notified === 'charged' ? 'void' : null;
  return null;
}

/** Whether what the sink was told is not known for certain (see `NetcoreBillingNotified`). */
export function isUncertain(notified: NetcoreBillingNotified): notified is 'calling' | 'unknown' {
  return notified === 'calling' || notified === 'unknown';
}

/**
 * The calls due, in order. With what the sink was told not known for certain (`uncertain`, or a `notified`
 * that says so), the calls that reach the decision from any state of the sink: `charge` then `restore` for a
 * charge (a charge does nothing to a voided message, a restore nothing to a charged one), `void` for a void
 * (nothing to a message never charged). The sink contract asks exactly that of each call.
 */
export function billingCalls(notified: NetcoreBillingNotified, decision: BillingDecision, uncertain = false): BillingCall[] {
  if (uncertain || isUncertain(notified)) return decision === 'charged' ? ['charge', 'restore'] : decision === 'voided' ? ['void'] : [];
  const call = billingCall(notified, decision);
  return call ? [call] : [];
}

/** What the sink knows after `call`. */
export function notifiedAfter(call: BillingCall): 'charged' | 'voided' {
  return call === 'void' ? 'voided' : 'charged';
}
