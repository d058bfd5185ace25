import { validateDeliveryStatus } from './validate-delivery-status';

const valid = () => ({
  ncmessage_id: 'm-1',
  phoneNumber: '912249757556',
  pricing: { billable: true, category: 'marketing', pricing_model: 'PMP', type: 'regular' },
  received_at: '1764693401',
  recipient: '916361467892',
  source: 'kiran',
  status: 'read',
  status_remark: '',
  'x-apiheader': 'kiran',
});

function errorsOf(raw: unknown): string[] {
  const result = validateDeliveryStatus(raw);
  if (result.valid) throw new Error('expected the item to be rejected');
  return result.errors;
}

describe('validateDeliveryStatus', () => {
  it('accepts a sample item and parses received_at', () => {
    const result = validateDeliveryStatus(valid());
    expect(result).toMatchObject({ valid: true, receivedAtMs: 1764693401000 });
  });

  it('accepts a failed item without pricing', () => {
    const { pricing: _omit, ...failed } = { ...valid(), status: 'failed' };
    expect(validateDeliveryStatus(failed).valid).toBe(true);
  });

  it.each(['failed', 'delivered', 'read'])('accepts a %s item whose pricing is invalid, and leaves that pricing out of the validated item', (status) => {
    // (null is no pricing: `pricing` is optional.)
    for (const pricing of [{ billable: true, category: 'c'.repeat(65) }, { billable: 'yes' }, { billable: false, type: 'a\u0000' }, 'marketing', [true]]) {
      const result = validateDeliveryStatus({ ...valid(), status, pricing });
      expect(result).toMatchObject({ valid: true, ignoredFields: ['pricing'] });
      expect(result.valid && result.item.pricing).toBeUndefined();
    }
  });

  it('keeps the valid pricing of a failed item, and refuses invalid pricing on any status but failed, delivered and read', () => {
    const failed = validateDeliveryStatus({ ...valid(), status: 'failed' });
    expect(failed).toMatchObject({ valid: true, ignoredFields: [] });
    expect(failed.valid && failed.item.pricing).toEqual(valid().pricing);
    expect(errorsOf({ ...valid(), status: 'sent', pricing: { billable: 'yes' } })).toEqual(['pricing.billable must be a boolean value']);
    expect(errorsOf({ ...valid(), status: 'clicked', pricing: 'free' })).toEqual(['pricing must be an object']);
    expect(errorsOf({ ...valid(), status: 'FAILED', pricing: { billable: 'yes' } })).toContain('pricing.billable must be a boolean value');
  });

  it.each(['failed', 'delivered', 'read'])('accepts a %s item whose descriptive fields are invalid, leaving them out', (status) => {
    const raw = { ...valid(), status, status_remark: 131026, source: 'a\u0000b', recipient: ['a'], pricing: 'free' };
    const result = validateDeliveryStatus(raw);
    expect(result).toMatchObject({ valid: true });
    expect(result.valid && [...result.ignoredFields].sort()).toEqual(['pricing', 'recipient', 'source', 'status_remark']);
    expect(result.valid && result.item).not.toHaveProperty('status_remark');
    expect(result.valid && result.item.phoneNumber).toBe(valid().phoneNumber);
  });

  it('refuses a failed, delivered or read item whose id, status or time is invalid, whatever else it carries', () => {
    expect(errorsOf({ ...valid(), status: 'failed', status_remark: 42, ncmessage_id: 42 }).join()).toMatch(/ncmessage_id must be a string/);
    expect(errorsOf({ ...valid(), status: 'read', received_at: 'yesterday' }).join()).toMatch(/received_at/);
  });

  it('refuses invalid descriptive fields on any other status', () => {
    expect(errorsOf({ ...valid(), status: 'sent', status_remark: 131026 })).toEqual(['status_remark must be a string']);
  });

  it('accepts extra fields (the older clicked structure) and unknown statuses', () => {
    expect(validateDeliveryStatus({ ...valid(), status: 'clicked', url: 'https://x', click: { n: 1 } }).valid).toBe(true);
    expect(validateDeliveryStatus({ ...valid(), status: 'enqueued' }).valid).toBe(true);
  });

  it('accepts unknown pricing values', () => {
    const item = { ...valid(), pricing: { billable: false, category: 'authentication', pricing_model: 'CBP', type: 'free_entry_point' } };
    expect(validateDeliveryStatus(item).valid).toBe(true);
  });

  it('rejects an item without ncmessage_id, status or received_at, naming each', () => {
    const { ncmessage_id: _a, status: _b, received_at: _c, ...rest } = valid();
    const errors = errorsOf(rest).join('\n');
    expect(errors).toMatch(/ncmessage_id/);
    expect(errors).toMatch(/status/);
    expect(errors).toMatch(/received_at/);
  });

  it('rejects wrong types', () => {
    expect(errorsOf({ ...valid(), ncmessage_id: 42 }).join()).toMatch(/ncmessage_id must be a string/);
    expect(errorsOf({ ...valid(), status: 'sent', pricing: { billable: 'yes' } }).join()).toMatch(/pricing\.billable must be a boolean/);
    expect(errorsOf({ ...valid(), status: 'sent', pricing: 'free' }).join()).toMatch(/pricing/);
    expect(errorsOf({ ...valid(), status: 'READ' }).join()).toMatch(/lower-case token/);
  });

  it('rejects an item that is not an object', () => {
    expect(errorsOf('hello')).toEqual(['item must be a JSON object']);
    expect(errorsOf([1])).toEqual(['item must be a JSON object']);
    expect(errorsOf(null)).toEqual(['item must be a JSON object']);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'rejects an item holding a %s key at any depth, so no emitted object can pollute a prototype',
    (key) => {
      const raw = JSON.parse(JSON.stringify(valid()).replace('{', `{"extra":{"${key}":{"polluted":true}},`));
      expect(errorsOf(raw)).toEqual([`item must not contain the key "${key}"`]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('rejects NUL characters in the fields stored in columns (PostgreSQL refuses them in text)', () => {
    expect(errorsOf({ ...valid(), ncmessage_id: 'm-\u0000' }).join()).toMatch(/ncmessage_id must not contain NUL/);
    expect(errorsOf({ ...valid(), status: 'sent', status_remark: 'a\u0000b' }).join()).toMatch(/status_remark must not contain NUL/);
    expect(errorsOf({ ...valid(), status: 'sent', pricing: { billable: true, category: '\u0000' } }).join()).toMatch(/pricing\.category must not contain NUL/);
  });

  it('accepts emoji and other non-ASCII text, and NUL in an extra field (stored only as escaped JSON)', () => {
    expect(validateDeliveryStatus({ ...valid(), status_remark: 'déjà vu 🚀', source: '短信', note: 'a\u0000b' }).valid).toBe(true);
  });
});
