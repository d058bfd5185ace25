import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, In, type FindOptionsWhere } from 'typeorm';
import { NetcoreWorker } from '../../src/netcore-webhooks/dispatch/netcore-worker.service';
import { NetcoreInboxService, NetcoreInboxWork, NetcoreWebhookEvent } from '../../src';
import { buildDeliveryStatus, type NetcoreDeliveryStatusItem } from '../../src/testing';

/** The claim a stored row starts with: none, or a worker's (possibly one that died). */
export interface InboxClaim {
  claimedBy: string | null;
  lockedUntil: Date | null;
}

/** An event and its work row exactly as the ingest stores them, for scenarios that start from a given database state. */
export interface StoredInboxRow {
  event: NetcoreWebhookEvent;
  work: NetcoreInboxWork;
}

/**
 * An inbox row as the ingest stores it (a process that acknowledged the event and died before dispatching it).
 * `id` and `ncmessageId` read through to the event, for assertions.
 */
export function inboxRow(item: NetcoreDeliveryStatusItem = buildDeliveryStatus(), claim: InboxClaim = { claimedBy: null, lockedUntil: null }): StoredInboxRow & { id: string; ncmessageId: string } {
  const receivedAtMs = Number(item.received_at) * 1000;
  const createdAt = new Date();
  const event = Object.assign(new NetcoreWebhookEvent(), {
    id: randomUUID(),
    idempotencyKey: `${item.ncmessage_id}|${item.status}|${receivedAtMs}`,
    ncmessageId: item.ncmessage_id,
    status: item.status,
    receivedAt: new Date(receivedAtMs),
    payload: JSON.stringify(item),
    leftOut: null,
    duplicates: 0,
    createdAt,
  } satisfies NetcoreWebhookEvent);
  const work = Object.assign(new NetcoreInboxWork(), {
    id: event.id,
    state: 'pending',
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    createdAt,
    ...claim,
  } satisfies Omit<NetcoreInboxWork, 'event'>);
  return { event, work, id: event.id, ncmessageId: event.ncmessageId };
}

/**
 * Inserts rows without TypeORM writing anything back into the objects (on SQLite its re-read after an
 * insert was seen to assign the ids of a multi-row insert to the wrong objects).
 */
export async function insertInboxRows(ds: DataSource, rows: readonly StoredInboxRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 50) {
    const slice = rows.slice(i, i + 50);
    await ds.createQueryBuilder().insert().into(NetcoreWebhookEvent).values(slice.map((r) => r.event)).updateEntity(false).execute();
    await ds.createQueryBuilder().insert().into(NetcoreInboxWork).values(slice.map((r) => r.work)).updateEntity(false).execute();
  }
}

/** An event's state in the inbox: its work row's, or `processed` once that row is gone. */
export type InboxRowState = Pick<NetcoreInboxWork, 'attempts' | 'lastError' | 'claimedBy' | 'lockedUntil' | 'nextAttemptAt'> & {
  state: 'pending' | 'failed' | 'dead' | 'processed';
};

const PROCESSED: Omit<InboxRowState, 'attempts'> = { state: 'processed', lastError: null, claimedBy: null, lockedUntil: null, nextAttemptAt: null };

/** The inbox state of each event id given, in the same order (`attempts` is 0 for a processed event: its count is gone with its work). */
export async function inboxStates(app: INestApplication, ids: readonly string[]): Promise<InboxRowState[]> {
  const work = await app.get(DataSource).getRepository(NetcoreInboxWork).findBy({ id: In([...ids]) });
  const byId = new Map(work.map((w) => [w.id, w]));
  return ids.map((id) => byId.get(id) ?? { ...PROCESSED, attempts: 0 });
}

export async function inboxState(app: INestApplication, id: string): Promise<InboxRowState> {
  return (await inboxStates(app, [id]))[0];
}

/** The ids of the stored events of a message (or of all, with no argument). */
export async function eventIds(app: INestApplication, ncmessageId?: string): Promise<string[]> {
  const events = await app.get(DataSource).getRepository(NetcoreWebhookEvent).find({ where: ncmessageId ? { ncmessageId } : {}, select: { id: true } });
  return events.map((e) => e.id);
}

/**
 * Processes events again as a crash between processing and bookkeeping would: back to pending, then through
 * the real worker loop. Everything the module does with an event must be idempotent.
 */
export async function processAgain(
  app: INestApplication,
  where: FindOptionsWhere<NetcoreWebhookEvent>,
  { crashed = false }: { crashed?: boolean } = {},
): Promise<void> {
  // crashed: still held by the claim of a worker that died, its lease run out (another worker takes it over).
  const claim = crashed ? { lockedUntil: new Date(Date.now() - 1000), claimedBy: 'dead-worker' } : { lockedUntil: null, claimedBy: null };
  const ds = app.get(DataSource);
  const events = await ds.getRepository(NetcoreWebhookEvent).findBy(where);
  const now = new Date();
  const work = events.map((e) => ({ id: e.id, state: 'pending' as const, attempts: 0, lastError: null, nextAttemptAt: null, createdAt: now, ...claim }));
  for (let i = 0; i < work.length; i += 50) {
    await ds
      .createQueryBuilder()
      .insert()
      .into(NetcoreInboxWork)
      .values(work.slice(i, i + 50))
      .orUpdate(['state', 'attempts', 'last_error', 'next_attempt_at', 'locked_until', 'claimed_by'], ['id'])
      .updateEntity(false)
      .execute();
  }
  // The worker's timer would find them too; waking it is what makes the test quick.
  app.get(NetcoreWorker).wake();
  await app.get(NetcoreInboxService).whenIdle();
}

/** Events processed (no work row left), of those with the idempotency keys given or of all. */
export function processedCount(ds: DataSource, keys?: readonly string[]): Promise<number> {
  const query = ds
    .getRepository(NetcoreWebhookEvent)
    .createQueryBuilder('e')
    .where((q) => `NOT EXISTS ${q.subQuery().select('1').from(NetcoreInboxWork, 'w').where('w.id = e.id').getQuery()}`);
  if (keys) query.andWhere('e.idempotencyKey IN (:...keys)', { keys });
  return query.getCount();
}

/** Work rows matching `where`, of the events with the idempotency keys given or of all. */
export function workCount(ds: DataSource, where: FindOptionsWhere<NetcoreInboxWork>, keys?: readonly string[]): Promise<number> {
  const query = ds.getRepository(NetcoreInboxWork).createQueryBuilder('w').where(where);
  if (keys) query.innerJoin(NetcoreWebhookEvent, 'e', 'e.id = w.id').andWhere('e.idempotencyKey IN (:...keys)', { keys });
  return query.getCount();
}

/** The stored events matching `where`, each with its inbox state. */
export async function storedEvents(app: INestApplication, where: FindOptionsWhere<NetcoreWebhookEvent>): Promise<Array<NetcoreWebhookEvent & InboxRowState>> {
  const events = await app.get(DataSource).getRepository(NetcoreWebhookEvent).findBy(where);
  const states = await inboxStates(app, events.map((e) => e.id));
  return events.map((event, i) => ({ ...event, ...states[i] }));
}

/** The one stored event matching `where` with its inbox state, or null. */
export async function storedEvent(app: INestApplication, where: FindOptionsWhere<NetcoreWebhookEvent>): Promise<(NetcoreWebhookEvent & InboxRowState) | null> {
  return (await storedEvents(app, where))[0] ?? null;
}

/** How many of the events matching `where` are processed. */
export async function processedEvents(app: INestApplication, where: FindOptionsWhere<NetcoreWebhookEvent>): Promise<number> {
  return (await storedEvents(app, where)).filter((e) => e.state === 'processed').length;
}
