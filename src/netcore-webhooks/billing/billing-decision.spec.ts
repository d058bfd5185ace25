import { billingCall, decideBilling } from './billing-decision';

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
