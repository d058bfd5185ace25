import type { EntityManager } from 'typeorm';
import { NetcoreDatabase, upsert } from '../database/netcore-database';
import { compareKeys } from '../database/upsert-rounds';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreInboxWork } from '../entities/netcore-inbox-work.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import type { InboxWrite, InboxWriteResult, PendingInboxRow } from './inbox-write';

interface KeyOwner {
  pending: PendingInboxRow;
  /** Index of the write that brought the key first: it gets the row if the key is new. */
  write: number;
  /** Arrivals of the same key in later writes of this flush. */
  later: number;
}

/**
 * Stores several requests' writes in the caller's transaction (group commit) and answers, per write, the
 * events it stored first. Same outcome as running the writes one after another in order: the first write to
 * bring a key stores it, every other arrival of that key is counted on the row as a duplicate.
 *
 * A new key is inserted; a key already stored only has its duplicate counter raised. RETURNING "id" answers
 * the inserted rows' own ids and, for keys already stored, the stored row's id, which is never one of the ids
 * just proposed: so the statement alone tells which rows it inserted. Each inserted event gets its work row.
 */
export async function flushInbox(db: NetcoreDatabase, manager: EntityManager, writes: InboxWrite[]): Promise<InboxWriteResult[]> {
  const owners = new Map<string, KeyOwner>();
  writes.forEach((write, w) => {
    for (const pending of write.rows) {
      const owner = owners.get(pending.row.idempotencyKey);
      if (owner) owner.later += pending.repeats + 1;
      else owners.set(pending.row.idempotencyKey, { pending, write: w, later: 0 });
    }
  });
  // One lock order for every transaction (PostgreSQL): concurrent flushes wait on each other, never deadlock.
  const ordered = [...owners.values()].sort((a, b) => compareKeys(a.pending.row.idempotencyKey, b.pending.row.idempotencyKey));
  for (const owner of ordered) owner.pending.row.duplicates = owner.pending.repeats + owner.later;
  const inbox = db.table(NetcoreWebhookEvent);
  const returned = await upsert(
    manager,
    NetcoreWebhookEvent,
    ordered.map((o) => o.pending.row),
    `("idempotency_key") DO UPDATE SET "duplicates" = ${inbox}."duplicates" + EXCLUDED."duplicates" + 1 RETURNING "id"`,
  );
  const inserted = new Set(returned.map((r) => String(r.id)));
  const results: InboxWriteResult[] = writes.map(() => []);
  for (const owner of owners.values()) {
    const event = owner.pending.row;
    if (!inserted.has(event.id)) continue;
    const claim = writes[owner.write].claim;
    results[owner.write].push(
      Object.assign(new NetcoreInboxWork(), {
        id: event.id,
        state: 'pending',
        attempts: 0,
        lastError: null,
        nextAttemptAt: null,
        lockedUntil: claim?.lockedUntil ?? null,
        claimedBy: claim?.claimedBy ?? null,
        createdAt: event.createdAt,
        event,
      } satisfies NetcoreInboxWork),
    );
  }
  const work = results.flat();
  await upsert(manager, NetcoreInboxWork, work);
  await storeDeadLetters(db, manager, writes);
  return results;
}

/** Upserts rejected items by fingerprint; the same bad item sent again only counts an occurrence. */
async function storeDeadLetters(db: NetcoreDatabase, manager: EntityManager, writes: InboxWrite[]): Promise<void> {
  const byFingerprint = new Map<string, NetcoreDeadLetter>();
  for (const write of writes) {
    for (const dead of write.deadLetters) {
      const seen = byFingerprint.get(dead.fingerprint);
      // Two writes of one flush may bring the same item: one row, both counted (one statement may not touch a row twice).
      if (seen) byFingerprint.set(dead.fingerprint, { ...seen, occurrences: seen.occurrences + dead.occurrences });
      else byFingerprint.set(dead.fingerprint, dead);
    }
  }
  if (!byFingerprint.size) return;
  const all = [...byFingerprint.values()].sort((a, b) => compareKeys(a.fingerprint, b.fingerprint));
  const letters = db.table(NetcoreDeadLetter);
  await upsert(manager, NetcoreDeadLetter, all, `("fingerprint") DO UPDATE SET "occurrences" = ${letters}."occurrences" + EXCLUDED."occurrences"`);
}
