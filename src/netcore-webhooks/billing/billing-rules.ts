import type { NetcoreBillingCommandKind } from '../entities/netcore-billing-command.entity';
import type { NetcoreBillingCommanded, NetcoreBillingState } from '../entities/netcore-billing-state.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';

export type BillingFacts = Pick<NetcoreBillingState, 'billableAt' | 'failedAt' | 'deliveredAt'>;
/** What the facts decide; also what a host's sink was last commanded (`commanded`). */
export type BillingDecision = NetcoreBillingCommanded;

/** Order of the commands within a message: the relay sends a command only once the earlier ones were sent. */
export const COMMAND_SEQ: Record<NetcoreBillingCommandKind, number> = { charge: 1, void: 2, restore: 3 };

/**
 * The billing rules, a function of facts that only grow, so the answer is the same whatever order the events
 * came in: billed when some event said billable, unless the message failed and was never delivered or read.
 */
export function decideBilling(facts: BillingFacts): BillingDecision {
  if (!facts.billableAt) return 'none';
  if (facts.failedAt && !facts.deliveredAt) return 'voided';
  return 'charged';
}

/**
 * The commands that take a host's sink from what it was commanded to the decision. Every billable message is
 * charged first, so the sink sees the same story whatever the timing: a message failed before its charge was
 * sent gets `charge` then `void`. Facts only grow, so each kind comes at most once per message: a void needs
 * a failure without delivery, and a restore a delivery, after which no void can come.
 */
export function commandsDue(commanded: BillingDecision, decision: BillingDecision): NetcoreBillingCommandKind[] {
  if (decision === 'none' || decision === commanded) return [];
  if (decision === 'voided') return commanded === 'none' ? ['charge', 'void'] : ['void'];
  return commanded === 'none' ? ['charge'] : ['restore'];
}

/** The facts one event adds; null for an event that says nothing about billing (a non-billable click). */
export function billingFacts(event: NetcoreMessageEvent): Omit<NetcoreBillingState, 'commanded'> | null {
  const billable = event.status !== 'failed' && event.pricing?.billable === true;
  const failed = event.status === 'failed';
  const delivered = event.status === 'delivered' || event.status === 'read';
  if (!billable && !failed && !delivered) return null;
  return {
    ncmessageId: event.ncmessageId,
    billableAt: billable ? event.receivedAt : null,
    category: billable ? (event.pricing?.category ?? '') : null,
    pricingModel: billable ? (event.pricing?.pricingModel ?? '') : null,
    pricingType: billable ? (event.pricing?.type ?? '') : null,
    failedAt: failed ? event.receivedAt : null,
    failureReason: failed ? (event.statusRemark ?? '') : null,
    deliveredAt: delivered ? event.receivedAt : null,
    updatedAt: new Date(),
  };
}
