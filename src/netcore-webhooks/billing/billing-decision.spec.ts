import { billingCall, convergingCall, decideBilling, notifiedAfter, type BillingCall, type BillingDecision } from './billing-decision';
import type { NetcoreBillingNotified } from '../entities/netcore-billing-state.entity';

const at = new Date(1764585000000);

describe('decideBilling', () => {
  it('bills nothing until some event said billable', () => {
    expect(decideBilling({ billableAt: null, failedAt: null, deliveredAt: at })).toBe('none');
    expect(decideBilling({ billableAt: null, failedAt: at, deliveredAt: null })).toBe('none');
  });

  it('charges a billable message that did not fail', () => {
    expect(decideBilling({ billableAt: at, failedAt: null, deliveredAt: null })).toBe('charged');
  });

  it('voids a billable message that failed and was never delivered or read', () => {
    expect(decideBilling({ billableAt: at, failedAt: at, deliveredAt: null })).toBe('voided');
  });

  it('charges a failed message once delivery evidence exists (delivered outranks failed)', () => {
    expect(decideBilling({ billableAt: at, failedAt: at, deliveredAt: at })).toBe('charged');
  });
});

describe('billingCall', () => {
  it.each([
    ['none', 'charged', 'charge'],
    ['charged', 'voided', 'void'],
    ['voided', 'charged', 'restore'],
    ['none', 'voided', null],
    ['none', 'none', null],
    ['charged', 'charged', null],
    ['voided', 'voided', null],
  ] as const)('with the sink told %s and the decision %s, calls %s', (notified, decision, call) => {
    expect(billingCall(notified, decision)).toBe(call);
  });
});

describe('convergingCall', () => {
  type SinkState = 'none' | 'charged' | 'voided';
  // An idempotent sink, as the contract asks: a void of a charge it never got and a restore of a charge never
  // voided change nothing, and a charge does not undo a void (the ledger's insert does nothing on conflict).
  const apply = (state: SinkState, call: BillingCall | null): SinkState => {
    if (call === 'charge') return state === 'none' ? 'charged' : state;
    if (call === 'void') return state === 'charged' ? 'voided' : state;
    if (call === 'restore') return state === 'voided' ? 'charged' : state;
    return state;
  };
  const billed = (state: SinkState) => state === 'charged';
  const told: NetcoreBillingNotified[] = ['none', 'charged', 'voided'];
  const decisions: BillingDecision[] = ['none', 'charged', 'voided'];

  // Facts only grow: once the sink was told anything, some event said billable, so the decision is not 'none'.
  const reachable = told.flatMap((notified) => decisions.filter((d) => notified === 'none' || d !== 'none').map((decision) => [notified, decision] as const));

  it.each(reachable)(
    'with the sink told %s, maybe one unrecorded call further, brings it to the decision %s',
    (notified, decision) => {
      // What the sink may be at: what was recorded, or one call further (the call of a holder that decided on
      // fewer facts; with no billable fact now, there was none then either).
      const earlier = decision === 'none' ? ['none' as const] : decisions;
      const possible = new Set<SinkState>([notified, ...earlier.map((d) => billingCall(notified, d)).filter((c) => c !== null).map(notifiedAfter)]);
      for (const state of possible) {
        const after = apply(state, convergingCall(notified, decision));
        expect({ from: state, billed: billed(after) }).toEqual({ from: state, billed: decision === 'charged' });
      }
    },
  );

  it('makes a call only where the decision could have been reached by a call', () => {
    expect(convergingCall('none', 'none')).toBeNull();
    expect(convergingCall('none', 'voided')).toBe('void');
    expect(convergingCall('charged', 'charged')).toBe('restore');
  });
});
