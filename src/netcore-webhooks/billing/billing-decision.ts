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

/** The calls due for a message, in order, and what the sink holds once they all returned. */
export interface BillingPlan {
  calls: BillingCall[];
  after: NetcoreBillingNotified;
}

/**
 * The calls that bring the sink to the decision. When what it was told is not known for certain (`uncertain`,
 * or a `notified` that says so), they reach it from any state of the sink, as the sink contract lets them (a
 * charge does nothing to a charged or voided message, a void nothing to one never charged, a restore nothing
 * to a charge never voided):
 * - to charge: `charge`, then `restore` if the message was ever delivered (without a delivery the decision
 *   never was a void: facts only grow, so no void was ever made);
 * - to void: `void`, after which the sink holds no standing charge, but may never have had one: `uncharged`.
 * `uncharged` is charged again the same way (charge, then restore), and voided again only when `uncertain`
 * (an event processed again after its worker died or failed: a late charge may have landed since).
 */
export function billingPlan(notified: NetcoreBillingNotified, facts: BillingFacts, uncertain = false): BillingPlan | null {
  const decision = decideBilling(facts);
  if (uncertain || isUncertain(notified) || notified === 'uncharged') {
    if (decision === 'charged') return { calls: facts.deliveredAt ? ['charge', 'restore'] : ['charge'], after: 'charged' };
    if (decision === 'voided' && (notified !== 'uncharged' || uncertain)) return { calls: ['void'], after: 'uncharged' };
    return null;
  }
  const call = billingCall(notified, decision);
  return call ? { calls: [call], after: notifiedAfter(call) } : null;
}

/** What the sink knows after `call`. */
export function notifiedAfter(call: BillingCall): 'charged' | 'voided' {
  return call === 'void' ? 'voided' : 'charged';
}
