import { validateDeliveryStatus } from './validate-delivery-status';

// Ignored fields, prototype keys and NUL messages are pinned end to end (billing, hostile-input e2e suites).
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
    expect(validateDeliveryStatus(valid())).toMatchObject({ valid: true, receivedAtMs: 1764693401000, ignoredFields: [] });
  });

  it('accepts extra fields (the older clicked structure), unknown statuses and unknown pricing values', () => {
    expect(validateDeliveryStatus({ ...valid(), status: 'clicked', url: 'https://x', click: { n: 1 } }).valid).toBe(true);
    expect(validateDeliveryStatus({ ...valid(), status: 'enqueued' }).valid).toBe(true);
    const pricing = { billable: false, category: 'authentication', pricing_model: 'CBP', type: 'free_entry_point' };
    expect(validateDeliveryStatus({ ...valid(), pricing }).valid).toBe(true);
  });

  it('refuses a failed item whose id or time is invalid, whatever else it carries', () => {
    expect(errorsOf({ ...valid(), status: 'failed', status_remark: 42, ncmessage_id: 42 }).join()).toMatch(/ncmessage_id must be a string/);
    expect(errorsOf({ ...valid(), status: 'read', received_at: 'yesterday' }).join()).toMatch(/received_at/);
  });

  it('names what is wrong on any other status', () => {
    expect(errorsOf({ ...valid(), status: 'sent', status_remark: 131026 })).toEqual(['status_remark must be a string']);
    expect(errorsOf({ ...valid(), status: 'clicked', pricing: 'free' })).toEqual(['pricing must be an object']);
    expect(errorsOf({ ...valid(), status: 'FAILED', pricing: { billable: 'yes' } }).join()).toMatch(/lower-case token/);
  });

  it.each(['hello', [1], null])('refuses an item that is not an object (%j)', (raw) => {
    expect(errorsOf(raw)).toEqual(['item must be a JSON object']);
  });
});
