import type { EntityManager } from 'typeorm';
import { buildInsertOnConflict } from '../database/insert-on-conflict';
import type { SqlRows, SqlStatement } from '../database/sql-steps';
import { compareKeys } from '../database/upsert-rounds';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import type { InboxStatements } from './inbox-statements';
import type { InboxWrite, InboxWriteResult, PendingInboxRow } from './inbox-write';

interface KeyOwner {
  pending: PendingInboxRow;
  /** Index of the write that brought the key first: it gets the row if the key is new. */
  write: number;
  /** Arrivals of the same key in later writes of this flush. */
  later: number;
}

/** The statements of one inbox flush, and how to read their rows back as each write's result. */
export interface InboxFlush {
  statements: SqlStatement[];
  /** Per write, the events it stored first, from the rows each statement returned (in statement order). */
  results(rows: readonly SqlRows[]): InboxWriteResult[];
}

/**
 * Stores several requests' writes in one transaction (group commit) and says, per write, which events it
 * stored first. Same outcome as running the writes one after another in order: the first write to bring a
 * key stores it, every other arrival of that key is counted on the row as a duplicate.
 */
export function planInboxFlush(writes: InboxWrite[], statements: InboxStatements, manager: EntityManager): InboxFlush {
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
  const inserts = statements.insert(ordered.map((o) => o.pending.row));

  return {
    statements: [...inserts, ...deadLetterStatements(writes, manager)],
    results(rows) {
      const inserted = new Set<string>();
      for (const r of rows.slice(0, inserts.length).flat()) inserted.add(String(r.id));
      const results: InboxWriteResult[] = writes.map(() => []);
      for (const owner of owners.values()) {
        if (!inserted.has(owner.pending.row.id)) continue;
        const { row, raw } = owner.pending;
        results[owner.write].push({ id: row.id, status: row.status, raw });
      }
      return results;
    },
  };
}

/** Upserts rejected items by fingerprint; the same bad item sent again only counts an occurrence. */
function deadLetterStatements(writes: InboxWrite[], manager: EntityManager): SqlStatement[] {
  const byFingerprint = new Map<string, NetcoreDeadLetter>();
  for (const write of writes) {
    for (const dead of write.deadLetters) {
      const seen = byFingerprint.get(dead.fingerprint);
      // Two writes of one flush may bring the same item: one row, both counted (one statement may not touch a row twice).
      if (seen) byFingerprint.set(dead.fingerprint, { ...seen, occurrences: seen.occurrences + dead.occurrences });
      else byFingerprint.set(dead.fingerprint, dead);
    }
  }
  if (!byFingerprint.size) return [];
  const all = [...byFingerprint.values()].sort((a, b) => compareKeys(a.fingerprint, b.fingerprint));
  const table = manager.connection.getMetadata(NetcoreDeadLetter).tableName;
  const merge = `("fingerprint") DO UPDATE SET "occurrences" = "${table}"."occurrences" + EXCLUDED."occurrences"`;
  return buildInsertOnConflict(manager, NetcoreDeadLetter, all, merge);
}
