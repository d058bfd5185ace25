import { buildDeliveryStatus, type NetcoreDeliveryStatusItem } from '../../src/testing';

export const T0 = 1764585000;
export const AT: Record<string, number> = { sent: T0, failed: T0 + 60, delivered: T0 + 120, read: T0 + 300 };
export const REMARK = 'Operator rejected the message';

export function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** The events of one new message (billable marketing unless overridden), one per status, in the given order. */
export function lifecycle(statuses: string[], overrides: Partial<NetcoreDeliveryStatusItem> = {}): NetcoreDeliveryStatusItem[] {
  const ncmessage_id = buildDeliveryStatus().ncmessage_id;
  return statuses.map((status) =>
    buildDeliveryStatus({
      ncmessage_id,
      status,
      received_at: String(AT[status]),
      status_remark: status === 'failed' ? REMARK : '',
      ...(status === 'failed' ? {} : overrides),
    }),
  );
}

/**
 * The sink calls the billing rules call for when events arrive one by one in `order` (the test's own
 * statement of the rules: charge once, void a failure without delivery, restore on a later delivery).
 */
export function expectedBillingCalls(order: string[], billable = true): string[] {
  let isBillable = false;
  let failed = false;
  let delivered = false;
  let told: 'none' | 'charged' | 'voided' = 'none';
  const calls: string[] = [];
  for (const status of order) {
    if (status === 'failed') failed = true;
    else if (billable) isBillable = true;
    if (status === 'delivered' || status === 'read') delivered = true;
    if (!isBillable) continue;
    const billed = !(failed && !delivered);
    if (billed && told === 'none') (calls.push('charge'), (told = 'charged'));
    else if (billed && told === 'voided') (calls.push('restore'), (told = 'charged'));
    else if (!billed && told === 'charged') (calls.push('void'), (told = 'voided'));
  }
  return calls;
}
