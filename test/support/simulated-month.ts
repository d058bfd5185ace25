import type { NetcoreDeliveryStatusItem } from '../../src/testing';
import { arrivals, draws, interleave, seededRandom } from './simulated-day';

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
 * meant to be posted several at a time, so one message's events may be processed by concurrent transactions.
 */
export function simulateMonth(seed: number, messages = 600, batchSize = 60): NetcoreDeliveryStatusItem[][] {
  const random = seededRandom(seed);
  const { pick, between, weighted } = draws(random);
  const kind = () => weighted(KINDS);
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
    queues.push(arrivals({ random, between }, { base, pricing, remark, arrival, at, clicksWithin: DAY }));
  }
  return interleave(queues, batchSize, random);
}
