import { NetcoreMessageEvent } from './netcore-message.event';

const item = (status: string, pricing: unknown) => ({ ncmessage_id: 'm-1', status, received_at: '1764693401', pricing });

describe('NetcoreMessageEvent.fromStored', () => {
  it('carries the pricing of an event in camelCase', () => {
    const event = NetcoreMessageEvent.fromStored('e-1', item('sent', { billable: true, category: 'marketing', pricing_model: 'PMP', type: 'regular' }));
    expect(event.pricing).toEqual({ billable: true, category: 'marketing', pricingModel: 'PMP', type: 'regular' });
  });

  it("keeps a failed event's valid pricing", () => {
    expect(NetcoreMessageEvent.fromStored('e-1', item('failed', { billable: false, category: 'utility' })).pricing).toEqual({
      billable: false,
      category: 'utility',
      pricingModel: undefined,
      type: undefined,
    });
  });

  it.each(['failed', 'delivered', 'read'])("leaves out a %s event's pricing that validation left out as invalid; the raw item keeps it", (status) => {
    const raw = item(status, { billable: true, category: 'c'.repeat(65) });
    const event = NetcoreMessageEvent.fromStored('e-1', raw, ['pricing']);
    expect(event.pricing).toBeUndefined();
    expect(event.raw.pricing).toEqual(raw.pricing);
  });
});
