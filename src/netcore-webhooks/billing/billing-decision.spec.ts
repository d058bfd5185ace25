import { billingCall, billingPlan, decideBilling, type BillingCall } from './billing-decision';

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

describe('billingPlan', () => {
  type SinkState = 'none' | 'charged' | 'voided';
  // A sink as the contract asks: a void of a message never charged, a restore of a charge never voided and a
  // charge of a charged or voided message change nothing (the ledger's are conditional updates and an insert
  // that does nothing on conflict).
  const apply = (state: SinkState, call: BillingCall): SinkState => {
    if (call === 'charge') return state === 'none' ? 'charged' : state;
    if (call === 'void') return state === 'charged' ? 'voided' : state;
    return state === 'voided' ? 'charged' : state;
  };
  const facts = (billable: boolean, failed: boolean, delivered: boolean) => ({
    billableAt: billable ? at : null,
    failedAt: failed ? at : null,
    deliveredAt: delivered ? at : null,
  });
  // Every set of facts, each with the sink states it can be in: a void is only ever made once a failure is
  // known, and a charge only once some event said billable (facts only grow).
  const cases = [true, false].flatMap((billable) =>
    [true, false].flatMap((failed) => [true, false].map((delivered) => ({ facts: facts(billable, failed, delivered), billable, failed }))),
  );
  const possible = (billable: boolean, failed: boolean): SinkState[] => (!billable ? ['none'] : failed ? ['none', 'charged', 'voided'] : ['none', 'charged']);

  it.each(['calling', 'unknown'] as const)('with the sink told %s, reaches the decision from any state the sink can be in', (notified) => {
    for (const { facts: f, billable, failed } of cases) {
      const plan = billingPlan(notified, f);
      for (const state of possible(billable, failed)) {
        const after = (plan?.calls ?? []).reduce(apply, state);
        expect({ facts: f, from: state, billed: after === 'charged' }).toEqual({ facts: f, from: state, billed: decideBilling(f) === 'charged' });
      }
    }
  });

  it('charges and restores again a message voided without knowing whether it was ever charged', () => {
    // Charge threw before taking effect (not known), a failure voided nothing, then a delivery came.
    const voided = billingPlan('calling', facts(true, true, false));
    expect(voided).toEqual({ calls: ['void'], after: 'uncharged' });
    const delivered = billingPlan('uncharged', facts(true, true, true));
    expect(delivered).toEqual({ calls: ['charge', 'restore'], after: 'charged' });
    expect(['none', 'voided'].map((s) => delivered!.calls.reduce(apply, s as SinkState))).toEqual(['charged', 'charged']);
  });

  it('restores only a message ever delivered (no delivery: no void was ever made, and a restore needs its time)', () => {
    expect(billingPlan('unknown', facts(true, false, false))).toEqual({ calls: ['charge'], after: 'charged' });
    expect(billingPlan('unknown', facts(true, false, true))).toEqual({ calls: ['charge', 'restore'], after: 'charged' });
  });

  it('treats a certain state as not known when told to (a claim that ran out)', () => {
    expect(billingPlan('none', facts(true, true, false), true)).toEqual(billingPlan('unknown', facts(true, true, false)));
  });

  it('makes the one call billingCall names when what the sink was told is certain', () => {
    expect(billingPlan('none', facts(true, false, false))).toEqual({ calls: ['charge'], after: 'charged' });
    expect(billingPlan('charged', facts(true, true, false))).toEqual({ calls: ['void'], after: 'voided' });
    expect(billingPlan('voided', facts(true, true, true))).toEqual({ calls: ['restore'], after: 'charged' });
    expect(billingPlan('charged', facts(true, false, true))).toBeNull();
    expect(billingPlan('uncharged', facts(true, true, false))).toBeNull();
  });
});
