import { expectedRow, type BillingOutcome } from './billing-model';
import type { NetcoreDeliveryStatusItem } from '../../src/testing';

/** mulberry32: a small seeded generator, so a failing day can be replayed with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws from `random`: an item, an integer in [lo, hi], a value by weight. */
export function draws(random: () => number) {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const weighted = <T>(choices: readonly [weight: number, value: T][]) => {
    let r = random() * choices.reduce((n, [w]) => n + w, 0);
    for (const [w, value] of choices) if ((r -= w) < 0) return value;
    return choices[0][1];
  };
  return { pick, between, weighted };
}

export const DAY = '2025-12-01';
const DAY_START = Date.UTC(2025, 11, 1) / 1000;
const SOURCES = ['', 'kiran', 'crm'];
const CATEGORIES = ['marketing', 'utility', 'marketing_lite'];
const REMARKS = ['Operator rejected the message', 'Number not on WhatsApp', 'Message expired', 'Spam rate limit hit'];

/** Lifecycles as they arrive (statuses in arrival order; timestamps follow the real order). */
const KINDS: [weight: number, arrival: string[]][] = [
  [30, ['sent', 'delivered', 'read']],
  [8, ['sent', 'read', 'delivered']], // read before delivered
  [18, ['sent', 'delivered']],
  [8, ['sent']],
  [12, ['sent', 'failed']],
  [6, ['failed', 'sent']], // the failure overtakes the sent
  [6, ['sent', 'failed', 'delivered']], // delivered after a failure: restored
  [4, ['delivered', 'read']], // an operator that sends no sent
];

export interface SimulatedDay {
  /** Batches to POST one after another; a message has at most one event per batch. */
  batches: NetcoreDeliveryStatusItem[][];
  messageIds: string[];
}

/** 500 messages with random lifecycles, clicks and duplicates (each duplicated event arrives 3 times). */
export function simulateDay(seed: number, messages = 500, batchSize = 100): SimulatedDay {
  const random = seededRandom(seed);
  const { pick, between, weighted } = draws(random);
  const kind = () => weighted(KINDS);

  const queues: NetcoreDeliveryStatusItem[][] = [];
  const messageIds: string[] = [];
  for (let i = 0; i < messages; i++) {
    const ncmessage_id = `day-${seed}-${i}`;
    messageIds.push(ncmessage_id);
    const category = pick(CATEGORIES);
    const pricing = { billable: category !== 'utility', category, pricing_model: pick(['PMP', 'other']), type: 'regular' };
    const base = { ncmessage_id, phoneNumber: '912249757556', recipient: `9186578${String(i).padStart(5, '0')}`, source: pick(SOURCES), 'x-apiheader': '' };
    const sent = DAY_START + between(0, 18 * 3600);
    const delivered = sent + between(1, 300);
    const at: Record<string, number> = { sent, delivered, read: delivered + between(5, 7200), failed: sent + between(1, 600) };
    const remark = pick(REMARKS);
    const arrival = kind();
    queues.push(arrivals({ random, between }, { base, pricing, remark, arrival, at, clicksWithin: 3600 }));
  }
  return { batches: interleave(queues, batchSize, random), messageIds };
}

export interface Lifecycle {
  base: { ncmessage_id: string; source?: string; [field: string]: string | undefined };
  pricing: NonNullable<NetcoreDeliveryStatusItem['pricing']>;
  remark: string;
  /** Statuses in arrival order. */
  arrival: string[];
  /** Epoch seconds of each status. */
  at: Record<string, number>;
  /** Clicks come up to this many seconds after the read. */
  clicksWithin: number;
}

/** One message's events as they arrive: its statuses, 0-2 clicks after a read, and one event in ten three times. */
export function arrivals(
  { random, between }: { random: () => number; between: (lo: number, hi: number) => number },
  { base, pricing, remark, arrival, at, clicksWithin }: Lifecycle,
): NetcoreDeliveryStatusItem[] {
  const events: NetcoreDeliveryStatusItem[] = arrival.map((status) =>
    status === 'failed'
      ? { ...base, status, received_at: String(at.failed), status_remark: remark }
      : { ...base, status, received_at: String(at[status]), status_remark: '', pricing },
  );
  if (arrival.includes('read')) {
    for (let c = between(0, 2); c > 0; c--) {
      events.push({ ...base, status: 'clicked', received_at: String(at.read + between(1, clicksWithin)), status_remark: '', pricing, url: 'https://example.com/offer' });
    }
  }
  // The copies come later, in other batches.
  const queue: NetcoreDeliveryStatusItem[] = [];
  for (const event of events) {
    queue.push(event);
    if (random() < 0.1) queue.push({ ...event }, { ...event });
  }
  return queue;
}

/** Batches of at most `batchSize` events, at most one per message, messages in random order. */
export function interleave(queues: NetcoreDeliveryStatusItem[][], batchSize: number, random: () => number): NetcoreDeliveryStatusItem[][] {
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

/**
 * The test's own model of what billing should end with after the batches arrive in order: the ledger by the
 * rules, and the calls a host's billing sink gets.
 */
export function expectedOutcome(batches: NetcoreDeliveryStatusItem[][]) {
  const seen = new Set<string>();
  const arrived = new Map<string, NetcoreDeliveryStatusItem[]>();
  /** What a host's billing sink has been told per message, and the calls, in order: each batch is folded whole. */
  const told = new Map<string, BillingOutcome>();
  const calls = new Map<string, { call: string; args: Record<string, unknown> }[]>();
  const tell = (id: string, call: string, args: Record<string, unknown>) =>
    calls.set(id, [...(calls.get(id) ?? []), { call, args: { idempotencyKey: `${id}:${call}`, ncmessageId: id, ...args } }]);
  for (const batch of batches) {
    const touched = new Set<string>();
    for (const item of batch) {
      const key = `${item.ncmessage_id}|${item.status}|${item.received_at}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const id = item.ncmessage_id;
      const history = [...(arrived.get(id) ?? []), item];
      arrived.set(id, history);
      touched.add(id);
    }
    for (const id of touched) {
      const row = expectedRow(arrived.get(id)!);
      const before = told.get(id) ?? 'none';
      if (!row || row.state === before) continue;
      told.set(id, row.state);
      const charge = () => tell(id, 'charge', { category: row.category, pricingModel: row.pricingModel, pricingType: row.pricingType, chargedAt: row.chargedAt });
      if (row.state === 'voided') {
        if (before === 'none') charge();
        tell(id, 'void', { reason: row.voidReason, voidedAt: row.voidedAt });
      } else if (before === 'none') charge();
      else {
        const deliveries = arrived.get(id)!.filter((e) => e.status === 'delivered' || e.status === 'read').map((e) => Number(e.received_at));
        tell(id, 'restore', { deliveredAt: new Date(Math.min(...deliveries) * 1000) });
      }
    }
  }
  const ledger = [...arrived.values()].flatMap((items) => expectedRow(items) ?? []).sort((a, b) => a.ncmessageId.localeCompare(b.ncmessageId));
  return { ledger, calls };
}
