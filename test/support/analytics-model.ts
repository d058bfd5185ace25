import type { NetcoreDeliveryStatusItem } from '../../src/testing';

/**
 * The test's own statement of the analytics rules, from the events as sent (not the module's code): a message's
 * cohort is the UTC day of its earliest event; it reached a status if any event says so or implies it (read ⇒
 * delivered ⇒ sent, failed ⇒ sent); it counts as failed only when never delivered; activity counts, per
 * day, the messages whose earliest event of each status is dated that day.
 */
const STATUSES = ['sent', 'delivered', 'read', 'failed', 'clicked'] as const;
type Status = (typeof STATUSES)[number];
type Counts = Record<Status, number>;

export interface ModelMessage {
  source: string;
  category: string;
  categoryAt: number;
  firstAt: number;
  at: Partial<Record<Status, number>>;
  remark: string;
}

export interface AnalyticsQuery {
  from: string;
  to: string;
  source?: string;
  category?: string;
}

const dayOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const zero = (): Counts => ({ sent: 0, delivered: 0, read: 0, failed: 0, clicked: 0 });
const rate = (a: number, b: number) => (b ? Math.round((a / b) * 10000) / 10000 : null);

/** Folds the events (duplicates included, in arrival order) into one state per message. */
export function analyticsModel(items: readonly NetcoreDeliveryStatusItem[]): Map<string, ModelMessage> {
  const messages = new Map<string, ModelMessage>();
  for (const item of items) {
    const status = item.status as Status;
    if (!STATUSES.includes(status)) continue;
    const t = Number(item.received_at);
    const m = messages.get(item.ncmessage_id) ?? { source: item.source ?? '', category: '', categoryAt: Infinity, firstAt: t, at: {}, remark: '' };
    messages.set(item.ncmessage_id, m);
    if (t < m.firstAt) Object.assign(m, { firstAt: t, source: item.source ?? '' });
    const category = item.pricing?.category;
    if (category && t < m.categoryAt) Object.assign(m, { category, categoryAt: t });
    if (status === 'failed' && (m.at.failed === undefined || t < m.at.failed)) m.remark = item.status_remark ?? '';
    if (m.at[status] === undefined || t < m.at[status]!) m.at[status] = t;
  }
  return messages;
}

function reached(m: ModelMessage): Counts {
  const { sent, delivered, read, failed, clicked } = m.at;
  const wasDelivered = delivered !== undefined || read !== undefined;
  return {
    sent: Number(sent !== undefined || failed !== undefined || wasDelivered),
    delivered: Number(wasDelivered),
    read: Number(read !== undefined),
    failed: Number(failed !== undefined && !wasDelivered),
    clicked: Number(clicked !== undefined),
  };
}

const matches = (m: ModelMessage, q: AnalyticsQuery) => (q.source === undefined || m.source === q.source) && (q.category === undefined || m.category === q.category);
const inCohort = (m: ModelMessage, q: AnalyticsQuery) => matches(m, q) && dayOf(m.firstAt) >= q.from && dayOf(m.firstAt) <= q.to;

function funnelOf(messages: ModelMessage[]): Counts {
  const funnel = zero();
  for (const m of messages) for (const [s, n] of Object.entries(reached(m))) funnel[s as Status] += n;
  return funnel;
}

function activityOf(messages: Map<string, ModelMessage>, q: AnalyticsQuery): Counts {
  const activity = zero();
  for (const m of messages.values()) {
    if (!matches(m, q)) continue;
    for (const s of STATUSES) if (m.at[s] !== undefined && dayOf(m.at[s]!) >= q.from && dayOf(m.at[s]!) <= q.to) activity[s]++;
  }
  return activity;
}

const ratesOf = (f: Counts) => ({ delivery: rate(f.delivered, f.sent), read: rate(f.read, f.delivered), failure: rate(f.failed, f.sent) });

/** The ten most frequent remarks, most frequent first, ties in code-unit order of the remark. */
function ranked(remarks: string[]): { remark: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const remark of remarks) counts.set(remark, (counts.get(remark) ?? 0) + 1);
  const order = ([ra, a]: [string, number], [rb, b]: [string, number]) => (a !== b ? b - a : ra < rb ? -1 : ra > rb ? 1 : 0);
  return [...counts].sort(order).slice(0, 10).map(([remark, count]) => ({ remark, count }));
}

/** What `NetcoreAnalyticsService.summary(q)` must answer. */
export function expectedSummary(messages: Map<string, ModelMessage>, q: AnalyticsQuery) {
  const cohort = [...messages.values()].filter((m) => inCohort(m, q));
  const funnel = funnelOf(cohort);
  const timing = (earlier: Status, later: Status) => {
    const durations = cohort.filter((m) => m.at[earlier] !== undefined && m.at[later] !== undefined).map((m) => m.at[later]! - m.at[earlier]!);
    durations.sort((a, b) => a - b);
    const rank = (p: number) => (durations.length ? durations[Math.ceil(p * durations.length) - 1] : null);
    return { count: durations.length, medianSeconds: rank(0.5), p90Seconds: rank(0.9) };
  };
  const failures = cohort.filter((m) => reached(m).failed).map((m) => m.remark);
  const asked = { from: q.from, to: q.to, source: q.source ?? null, category: q.category ?? null };
  const timings = { sentToDelivered: timing('sent', 'delivered'), deliveredToRead: timing('delivered', 'read') };
  return { ...asked, funnel, rates: ratesOf(funnel), activity: activityOf(messages, q), timing: timings, topFailureRemarks: ranked(failures) };
}

/** What `NetcoreAnalyticsService.series(q)` must answer: every day of the range. */
export function expectedSeries(messages: Map<string, ModelMessage>, q: AnalyticsQuery) {
  const rows = [];
  for (let t = Date.parse(`${q.from}T00:00:00Z`); t <= Date.parse(`${q.to}T00:00:00Z`); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const funnel = funnelOf([...messages.values()].filter((m) => inCohort(m, { ...q, from: day, to: day })));
    rows.push({ day, funnel, rates: ratesOf(funnel), activity: activityOf(messages, { ...q, from: day, to: day }) });
  }
  return rows;
}
