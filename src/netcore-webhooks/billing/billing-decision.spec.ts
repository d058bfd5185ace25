import { billingCall, billingCalls, decideBilling, type BillingCall, type BillingDecision } from './billing-decision';

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

describe('billingCalls', () => {
  type SinkState = 'none' | 'charged' | 'voided';
  // A sink as the contract asks: a void of a message never charged, a restore of a charge never voided and a
  // charge of a voided message change nothing (the ledger's are conditional updates and an insert that does
  // nothing on conflict).
  const apply = (state: SinkState, call: BillingCall): SinkState => {
    if (call === 'charge') return state === 'none' ? 'charged' : state;
    if (call === 'void') return state === 'charged' ? 'voided' : state;
    return state === 'voided' ? 'charged' : state;
  };
  const decisions: BillingDecision[] = ['none', 'charged', 'voided'];
  const states: SinkState[] = ['none', 'charged', 'voided'];

  it.each(['calling', 'unknown'] as const)('with the sink told %s, reaches the decision from any state of the sink', (notified) => {
    for (const decision of decisions.filter((d) => d !== 'none')) {
      for (const state of states) {
        const after = billingCalls(notified, decision).reduce(apply, state);
        expect({ decision, from: state, billed: after === 'charged' }).toEqual({ decision, from: state, billed: decision === 'charged' });
      }
    }
  });

  it('makes the same calls when told to treat a certain state as uncertain (a claim that ran out)', () => {
    for (const decision of decisions) expect(billingCalls('none', decision, true)).toEqual(billingCalls('unknown', decision));
  });

  it('makes at most the one call billingCall names when what the sink was told is certain', () => {
    expect(billingCalls('none', 'charged')).toEqual(['charge']);
    expect(billingCalls('charged', 'voided')).toEqual(['void']);
    expect(billingCalls('voided', 'charged')).toEqual(['restore']);
    expect(billingCalls('charged', 'charged')).toEqual([]);
    expect(billingCalls('unknown', 'none')).toEqual([]);
  });
});
