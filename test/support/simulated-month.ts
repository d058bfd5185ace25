import type { NetcoreDeliveryStatusItem } from '../../src/testing';
import { seededRandom } from './simulated-day';

export const MONTH = { from: '2025-11-01', to: '2025-11-30' };
const MONTH_START = Date.UTC(2025, 10, 1) / 1000;
const SOURCES = ['', 'kiran', 'crm'];
const CATEGORIES = ['marketing', 'utility', 'marketing_lite'];
const REMARKS = ['Operator rejected the message', 'Number not on WhatsApp', 'Message expired'];
const HOUR = 3600;
const DAY = 24 * HOUR;

/** Statuses in arrival order. Timestamps follow the real order, so a status arriving last may be the earliest. */
const KINDS: [weight: number, arrival: string[]][] = [
  [25, ['sent', 'delivered', 'read']],
  [8, ['sent', 'read']], // read without delivered
  [8, ['failed']], // failed without sent
  [6, ['failed', 'sent']],
  [6, ['sent', 'failed', 'delivered']], // delivered after a failure
  [8, ['delivered', 'read', 'sent']], // the sent arrives last: the cohort moves earlier
  [6, ['read', 'delivered']],
  [10, ['sent', 'delivered']],
  [6, ['sent']],
  [6, ['sent', 'failed']],
];

/**
 * A month of messages: random lifecycles, many sent minutes before midnight (their lifecycle crosses it),
 * reads and failures days after the send, clicks, and one event in ten arriving three times. Batches are
 * posted `concurrency` at a time, so one message's events may be processed by concurrent transactions.
 */
export function simulateMonth(seed: number, messages = 600, batchSize = 60): NetcoreDeliveryStatusItem[][] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const totalWeight = KINDS.reduce((n, [w]) => n + w, 0);
  const kind = () => {
    let r = random() * totalWeight;
    for (const [w, arrival] of KINDS) if ((r -= w) < 0) return arrival;
    return KINDS[0][1];
  };
  const queues: NetcoreDeliveryStatusItem[][] = [];
  for (let i = 0; i < messages; i++) {
    const ncmessage_id = `month-${seed}-${i}`;
    const category = pick(CATEGORIES);
    const pricing = { billable: category !== 'utility', category, pricing_model: 'PMP', type: 'regular' };
    const base = { ncmessage_id, phoneNumber: '912249757556', recipient: `9186579${String(i).padStart(5, '0')}`, source: pick(SOURCES), 'x-apiheader': '' };
    // A third are sent in the last ten minutes of a day; some a day before the month (their events still fall in it).
    const day = between(-1, 29);
    const sent = MONTH_START + day * DAY + (random() < 0.33 ? DAY - between(1, 600) : between(0, DAY - 1));
    const late = random() < 0.2; // days pass before the next status
    const delivered = sent + (late ? between(DAY, 4 * DAY) : between(1, 900));
    const at: Record<string, number> = {
      sent,
      delivered,
      read: delivered + (late ? between(DAY, 3 * DAY) : between(5, 2 * HOUR)),
      failed: sent + (late ? between(DAY, 2 * DAY) : between(1, 1200)),
    };
    const remark = pick(REMARKS);
    const arrival = kind();
    const events: NetcoreDeliveryStatusItem[] = arrival.map((status) =>
      status === 'failed'
        ? { ...base, status, received_at: String(at.failed), status_remark: remark }
        : { ...base, status, received_at: String(at[status]), status_remark: '', pricing },
    );
    if (arrival.includes('read')) {
      for (let c = between(0, 2); c > 0; c--) {
        events.push({ ...base, status: 'clicked', received_at: String(at.read + between(1, DAY)), status_remark: '', pricing, url: 'https://example.com/offer' });
      }
    }
    const queue: NetcoreDeliveryStatusItem[] = [];
    for (const event of events) {
      queue.push(event);
      if (random() < 0.1) queue.push({ ...event }, { ...event });
    }
    queues.push(queue);
  }
  const batches: NetcoreDeliveryStatusItem[][] = [];
  while (queues.some((q) => q.length)) {
    const ready = queues.filter((q) => q.length);
    for (let i = ready.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ready[i], ready[j]] = [ready[j], ready[i]];
    }
    batches.push(ready.slice(0, batchSize).map((q) => q.shift()!));
  }
  return batches;
}
