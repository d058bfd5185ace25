/** One `delivery_status` item with Netcore's field names. */
export interface NetcoreDeliveryStatusItem {
  ncmessage_id: string;
  status: string;
  received_at: string | number;
  phoneNumber?: string;
  recipient?: string;
  source?: string;
  status_remark?: string;
  'x-apiheader'?: string;
  pricing?: { billable: boolean; category?: string; pricing_model?: string; type?: string };
  [extra: string]: unknown;
}

export interface NetcoreWebhookPayload {
  delivery_status: NetcoreDeliveryStatusItem[];
}

/** The four example payloads of Netcore's webhook reference, verbatim. */
export const NETCORE_SAMPLE_PAYLOADS: Readonly<Record<'read' | 'delivered' | 'sent' | 'failed', NetcoreWebhookPayload>> = {
  read: { delivery_status: [{ ncmessage_id: '3694d58b-fc29-4563-b0d4-923c2ae43555', phoneNumber: '919867644673', pricing: { billable: true, category: 'marketing', pricing_model: 'PMP', type: 'regular' }, received_at: '1764693401', recipient: '916361467892', source: 'kiran', status: 'read', status_remark: '', 'x-apiheader': 'kiran' }] },
  delivered: { delivery_status: [{ ncmessage_id: 'bab1e073-51c9-4566-8008-30d33b6bedfd', phoneNumber: '912249757556', pricing: { billable: false, category: 'utility', pricing_model: 'PMP', type: 'regular' }, received_at: '1764585432', recipient: '918657856504', source: '', status: 'delivered', status_remark: '', 'x-apiheader': '' }] },
  sent: { delivery_status: [{ ncmessage_id: '859c535b-8d46-46ed-9afb-9082262a8dfb', phoneNumber: '912249757556', pricing: { billable: true, category: 'marketing_lite', pricing_model: 'PMP', type: 'regular' }, received_at: '1764585991', recipient: '918657856504', source: '', status: 'sent', status_remark: '', 'x-apiheader': '' }] },
  failed: { delivery_status: [{ ncmessage_id: 'f12a9c22-8b37-4b75-bd1d-12ab45c90877', phoneNumber: '912249757556', received_at: '1764587102', recipient: '918657856504', source: '', status: 'failed', status_remark: 'Operator rejected the message', 'x-apiheader': '' }] },
};

let sequence = 0;

/**
 * A valid item, billable marketing by default; override any field. `failed` items get no pricing,
 * as Netcore sends them.
 */
export function buildDeliveryStatus(overrides: Partial<NetcoreDeliveryStatusItem> = {}): NetcoreDeliveryStatusItem {
  const status = overrides.status ?? 'sent';
  const base: NetcoreDeliveryStatusItem = {
    ncmessage_id: `test-${process.pid}-${Date.now().toString(36)}-${(sequence++).toString(36)}`,
    phoneNumber: '912249757556',
    received_at: String(Math.floor(Date.now() / 1000)),
    recipient: '918657856504',
    source: '',
    status,
    status_remark: '',
    'x-apiheader': '',
  };
  if (status !== 'failed') base.pricing = { billable: true, category: 'marketing', pricing_model: 'PMP', type: 'regular' };
  return { ...base, ...overrides };
}

/** Wraps items in the envelope Netcore POSTs. */
export function buildWebhookPayload(...items: NetcoreDeliveryStatusItem[]): NetcoreWebhookPayload {
  return { delivery_status: items };
}
