import type { NetcoreDeliveryStatusItem } from '../../src/testing';

export type BillingOutcome = 'none' | 'charged' | 'voided';

/** A ledger row as the test expects it (the public fields of `NetcoreBillingRecord`, without `updatedAt`). */
export interface ExpectedRow {
  ncmessageId: string;
  category: string;
  pricingModel: string;
  pricingType: string;
  chargedAt: Date;
  state: 'charged' | 'voided';
  voidedAt: Date | null;
  voidReason: string | null;
}

const at = (item: NetcoreDeliveryStatusItem) => Number(item.received_at);
const earliest = (items: NetcoreDeliveryStatusItem[]) => [...items].sort((a, b) => at(a) - at(b))[0];
const isBillable = (e: NetcoreDeliveryStatusItem) => e.status !== 'failed' && e.pricing?.billable === true;
const isDelivery = (e: NetcoreDeliveryStatusItem) => e.status === 'delivered' || e.status === 'read';

/**
 * The test's own statement of the billing rules, from the events of one message whatever their order: billed
 * when some event said billable, with the earliest such event's pricing; voided when it failed and was never
 * delivered or read, with the earliest failure's time and remark.
 */
export function expectedOutcome(items: NetcoreDeliveryStatusItem[]): BillingOutcome {
  if (!items.some(isBillable)) return 'none';
  return items.some((e) => e.status === 'failed') && !items.some(isDelivery) ? 'voided' : 'charged';
}

export function expectedRow(items: NetcoreDeliveryStatusItem[]): ExpectedRow | null {
  const outcome = expectedOutcome(items);
  if (outcome === 'none') return null;
  const billable = earliest(items.filter(isBillable));
  const failed = earliest(items.filter((e) => e.status === 'failed'));
  const voided = outcome === 'voided';
  return {
    ncmessageId: billable.ncmessage_id,
    category: billable.pricing?.category ?? '',
    pricingModel: billable.pricing?.pricing_model ?? '',
    pricingType: billable.pricing?.type ?? '',
    chargedAt: new Date(at(billable) * 1000),
    state: outcome,
    voidedAt: voided ? new Date(at(failed) * 1000) : null,
    voidReason: voided ? (failed.status_remark ?? '') : null,
  };
}

/**
 * The commands a host's sink gets when the events arrive one at a time, each processed before the next: the
 * sink is taken from what it was told to the current outcome, a charge always first.
 */
export function expectedCommandsOneByOne(items: NetcoreDeliveryStatusItem[]): string[] {
  let told: BillingOutcome = 'none';
  const commands: string[] = [];
  for (let i = 1; i <= items.length; i++) {
    const outcome = expectedOutcome(items.slice(0, i));
    if (outcome === 'none' || outcome === told) continue;
    if (told === 'none') commands.push('charge');
    if (outcome === 'voided') commands.push('void');
    else if (told === 'voided') commands.push('restore');
    told = outcome;
  }
  return commands;
}

/** Groups items by message. */
export function byMessage(items: NetcoreDeliveryStatusItem[]): Map<string, NetcoreDeliveryStatusItem[]> {
  const messages = new Map<string, NetcoreDeliveryStatusItem[]>();
  for (const item of items) messages.set(item.ncmessage_id, [...(messages.get(item.ncmessage_id) ?? []), item]);
  return messages;
}

/** Fisher–Yates with the given generator. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

const STATUSES = ['sent', 'delivered', 'read', 'failed', 'clicked'];
const CATEGORIES = ['marketing', 'utility', 'marketing_lite', 'authentication'];
const REMARKS = ['Operator rejected the message', 'Number not on WhatsApp', 'Message expired'];

/**
 * Random lifecycles: each message gets 1 to 5 events of random statuses (a status may repeat at another time,
 * a failure with another remark), each with its own pricing, billable or not, all at distinct instants.
 */
export function randomLifecycles(random: () => number, messages: number, idPrefix: string, startSeconds: number): NetcoreDeliveryStatusItem[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const items: NetcoreDeliveryStatusItem[] = [];
  for (let m = 0; m < messages; m++) {
    const ncmessage_id = `${idPrefix}-${m}`;
    const count = 1 + Math.floor(random() * 5);
    const instants = shuffled(
      Array.from({ length: 20 }, (_, i) => startSeconds + m * 100 + i),
      random,
    ).slice(0, count);
    for (const instant of instants) {
      const status = pick(STATUSES);
      const base = { ncmessage_id, status, received_at: String(instant), recipient: '918657856504', phoneNumber: '912249757556', source: '', 'x-apiheader': '' };
      items.push(
        status === 'failed'
          ? { ...base, status_remark: pick(REMARKS) }
          : { ...base, status_remark: '', pricing: { billable: random() < 0.6, category: pick(CATEGORIES), pricing_model: pick(['PMP', 'other']), type: pick(['regular', 'promo']) } },
      );
    }
  }
  return items;
}
