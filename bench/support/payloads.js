'use strict';
// Realistic Netcore batches: unique message ids, each message walking a lifecycle across requests.
const { createHmac } = require('node:crypto');

/** Share of messages per lifecycle; the statuses each one goes through, in order. */
const LIFECYCLES = [
  { share: 0.75, statuses: ['sent', 'delivered', 'read'] },
  { share: 0.1, statuses: ['sent', 'failed'] },
  { share: 0.1, statuses: ['sent', 'delivered'] },
  { share: 0.05, statuses: ['sent', 'delivered', 'read', 'clicked'] },
];
const PRICING = { billable: true, category: 'marketing', pricing_model: 'PMP', type: 'regular' };
/** Messages in flight at once: events of one message are spread over several requests. */
const ACTIVE = 2000;

function pickLifecycle(n) {
  // Deterministic spread (no Math.random): message n gets lifecycle by its position in 20 slots.
  const slot = (n % 20) / 20;
  let acc = 0;
  for (const l of LIFECYCLES) {
    acc += l.share;
    if (slot < acc) return l.statuses;
  }
  return LIFECYCLES[0].statuses;
}

/** Produces the items of successive batches; `prefix` keeps ids unique across processes and runs. */
function createEventSource(prefix) {
  let nextMessage = 0;
  let clock = 1764693401;
  const active = [];
  const fresh = () => ({ id: `${prefix}-${(nextMessage++).toString(36)}`, statuses: pickLifecycle(nextMessage), step: 0 });
  return function nextItem() {
    while (active.length < ACTIVE) active.push(fresh());
    // Take from a rotating position so consecutive events belong to different messages.
    const m = active.shift();
    const status = m.statuses[m.step++];
    if (m.step < m.statuses.length) active.push(m);
    clock += 1;
    const item = {
      ncmessage_id: m.id,
      phoneNumber: '919867644673',
      received_at: String(clock),
      recipient: `9163614${String(nextMessage % 100000).padStart(5, '0')}`,
      source: 'bench',
      status,
      status_remark: status === 'failed' ? 'Message undeliverable' : '',
      'x-apiheader': 'bench',
    };
    if (status !== 'failed') item.pricing = PRICING;
    if (status === 'clicked') item.url = 'https://example.com/offer';
    return item;
  };
}

function signBody(body, secret) {
  return createHmac('sha256', secret).update(body).digest('hex');
}

module.exports = { createEventSource, signBody };
