import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type FindOptionsWhere } from 'typeorm';
import { NetcoreWorker } from '../../src/netcore-webhooks/dispatch/netcore-worker.service';
import { NetcoreInboxService, NetcoreWebhookEvent } from '../../src';
import { buildDeliveryStatus, type NetcoreDeliveryStatusItem } from '../../src/testing';

/**
 * An inbox row exactly as the ingest stores it, for scenarios that start from a given database state
 * (a process that acknowledged events and died before dispatching them).
 */
export function inboxRow(
  item: NetcoreDeliveryStatusItem = buildDeliveryStatus(),
  claim: { claimedBy: string | null; lockedUntil: Date | null } = { claimedBy: null, lockedUntil: null },
): NetcoreWebhookEvent {
  const receivedAtMs = Number(item.received_at) * 1000;
  return Object.assign(new NetcoreWebhookEvent(), {
    id: randomUUID(),
    idempotencyKey: `${item.ncmessage_id}|${item.status}|${receivedAtMs}`,
    ncmessageId: item.ncmessage_id,
    status: item.status,
    receivedAt: new Date(receivedAtMs),
    payload: JSON.stringify(item),
    leftOut: null,
    state: 'pending',
    attempts: 0,
    duplicates: 0,
    lastError: null,
    nextAttemptAt: null,
    createdAt: new Date(),
    processedAt: null,
    ...claim,
  } satisfies NetcoreWebhookEvent);
}

/**
 * Inserts rows without TypeORM writing anything back into the objects (on SQLite its re-read after an
 * insert was seen to assign the ids of a multi-row insert to the wrong objects).
 */
export async function insertInboxRows(ds: DataSource, rows: NetcoreWebhookEvent[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 50) {
    await ds.createQueryBuilder().insert().into(NetcoreWebhookEvent).values(rows.slice(i, i + 50)).updateEntity(false).execute();
  }
}

/**
 * Processes rows again as a crash between processing and bookkeeping would: back to pending, then through
 * the real worker loop. Everything the module does with an event must be idempotent.
 */
export async function processAgain(
  app: INestApplication,
  where: FindOptionsWhere<NetcoreWebhookEvent>,
  { crashed = false }: { crashed?: boolean } = {},
): Promise<void> {
  // crashed: still held by the claim of a worker that died, its lease run out (another worker takes it over).
  const claim = crashed ? { lockedUntil: new Date(Date.now() - 1000), claimedBy: 'dead-worker' } : { lockedUntil: null, claimedBy: null };
  await app
    .get(DataSource)
    .createQueryBuilder()
    .update(NetcoreWebhookEvent)
    .set({ state: 'pending', nextAttemptAt: null, ...claim })
    .where(where)
    .execute();
  // The worker's timer would find them too; waking it is what makes the test quick.
  app.get(NetcoreWorker).wake();
  await app.get(NetcoreInboxService).whenIdle();
}
