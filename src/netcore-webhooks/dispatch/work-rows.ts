import { createHash, randomUUID } from 'node:crypto';
import { In, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { chunks, NetcoreDatabase, upsert } from '../database/netcore-database';
import { NetcoreDeadLetter, type NetcoreDeadLetterReason } from '../entities/netcore-dead-letter.entity';
import type { WorkRowColumns } from '../entities/work-row-columns';
import type { NetcoreRetryOptions } from '../netcore-webhooks-options.interface';
import { retryDelayMs } from './retry-delay';

/** A row of a queue table: the inbox's work or the billing outbox. */
export interface WorkRow extends WorkRowColumns, ObjectLiteral {
  id: string;
  state: string;
}

/** What became of a row whose work threw. */
export type FailureOutcome =
  | { state: 'failed'; attempts: number; nextAttemptAt: Date }
  | { state: 'dead'; attempts: number }
  /** The claim had run out and another worker took the row over; it records the outcome instead. */
  | { state: 'lost' };

export interface WorkRowsConfig<T extends ObjectLiteral> {
  entity: new () => T;
  /** The partial index's WHERE for rows still to do, written as the index writes it. */
  unfinished: string;
  /** A row done: deleted (the inbox's work), or given this state and timestamp column (the outbox, kept as its log). */
  done: 'delete' | { state: string; at: keyof T & string };
  /** The row's payload, for its dead letter. */
  payloadOf(row: T): string;
  /** Adds what the work needs to the rows a claim reads (the inbox joins each row's event). */
  join?(query: SelectQueryBuilder<T>): SelectQueryBuilder<T>;
  /** Reason of the dead letter a row gets when it is out of attempts. */
  deadLetterReason: NetcoreDeadLetterReason;
  /** Extra condition for a row to be due (SQL over the alias `w`), built on first use (entity metadata is ready then). */
  due?: () => string;
}

const ERROR_LIMIT = 2000;

/** One dead letter per row: the row dying again after a failed replay reopens the same letter. */
export function deadLetterFingerprint(reason: NetcoreDeadLetterReason, id: string): string {
  return createHash('sha256').update(`${reason}\n`).update(id).digest('hex');
}

/**
 * Claims on a queue table. A worker (one per app instance) claims due rows with a short lease that its
 * heartbeat renews while it works, and records each outcome only while its claim holds: two workers never
 * work a row at once, and a dead instance's rows come free within one lease. PostgreSQL skips rows another
 * worker is locking (`FOR UPDATE SKIP LOCKED`); SQLite's writes are serialized by `NetcoreDatabase`.
 */
export class WorkRows<T extends WorkRow> {
  private due?: string;
  /** Rows this instance is working on now: the heartbeat renews exactly these. */
  private readonly held = new Set<string>();
  /**
   * Where this sweep's claims have reached: the next one starts there instead of reading again, and skipping, the
   * rows the earlier ones still hold (thousands in a backlog). A row due behind it (a retry, a lease run out, a
   * row another instance committed late) is found once a claim comes back short, or after `rewind()`.
   */
  private sweptTo?: number;
  /** Counts rewinds, so a claim begun before one does not move the cursor forward again. */
  private rewinds = 0;

  constructor(
    private readonly db: NetcoreDatabase,
    private readonly config: WorkRowsConfig<T>,
  ) {}

  /** Whether the row is done, and the last error of its last attempt when not. */
  async outcome(id: string): Promise<{ done: boolean; lastError: string | null }> {
    const row = await this.db.dataSource.getRepository(this.config.entity).findOneBy({ id } as never);
    const { done } = this.config;
    return { done: done === 'delete' ? !row : row?.state === done.state, lastError: row?.lastError ?? null };
  }

  /** Claims up to `limit` due rows, oldest first. */
  claimDue(worker: string, limit: number, leaseMs: number): Promise<T[]> {
    return this.db.write(async (manager) => {
      const now = Date.now();
      const query = this.select(manager)
        .where(this.config.unfinished)
        .andWhere('COALESCE(w.nextAttemptAt, 0) <= :now AND COALESCE(w.lockedUntil, 0) <= :now', { now: BigInt(now) })
        .orderBy('w.createdAt')
        .limit(limit);
      if (this.config.due) query.andWhere((this.due ??= this.config.due()));
      const [from, rewinds] = [this.sweptTo, this.rewinds];
      if (from !== undefined) query.andWhere('w.createdAt >= :from', { from: BigInt(from) });
      const found = await this.lock(query, true).getMany();
      if (rewinds === this.rewinds) {
        const last = found.at(-1)?.createdAt.getTime();
        this.sweptTo = found.length < limit || last === undefined ? undefined : Math.max(this.sweptTo ?? 0, last);
      }
      // A row of ours whose claim ran out while we still work on it (a slow listener) is not taken twice.
      const rows = found.filter((row) => !this.held.has(row.id));
      await this.hold(manager, worker, rows, now + leaseMs);
      return rows;
    });
  }

  /** The next claim starts from the oldest due row again (the periodic poll: retries due behind the sweep). */
  rewind(): void {
    this.sweptTo = undefined;
    this.rewinds++;
  }

  /** Claims a dead row for one more attempt (a replayed dead letter); null when it is not dead. */
  claimDead(worker: string, id: string, leaseMs: number): Promise<T | null> {
    return this.db.write(async (manager) => {
      const query = this.select(manager).where('w.id = :id', { id }).andWhere(`w.state = 'dead'`);
      const row = await this.lock(query, false).getOne();
      if (!row) return null;
      await manager.update(this.config.entity, { id } as never, { state: 'pending', lastError: null } as never);
      await this.hold(manager, worker, [row], Date.now() + leaseMs);
      return row;
    });
  }

  /**
   * Counts rows claimed otherwise (stored already claimed) as held: renewed, never claimed again by us. Answers
   * those not held already (a claim of ours may have taken one whose lease ran out before it was handed over).
   */
  holding(rows: readonly T[]): T[] {
    const fresh = rows.filter((row) => !this.held.has(row.id));
    for (const row of fresh) this.held.add(row.id);
    return fresh;
  }

  /** Runs `work` on claimed rows, renewing their claims meanwhile (see `renew`). */
  async working<R>(rows: readonly T[], work: () => Promise<R>): Promise<R> {
    for (const row of rows) this.held.add(row.id);
    try {
      return await work();
    } finally {
      for (const row of rows) this.held.delete(row.id);
    }
  }

  /**
   * The heartbeat: extends the lease of the rows being worked on. A row whose outcome could not be written (the
   * database went away) is not renewed any more, so it comes free when its claim runs out.
   */
  async renew(worker: string, leaseMs: number): Promise<void> {
    const ids = [...this.held];
    if (!ids.length) return;
    await this.db.write(async (manager) => {
      for (const chunk of chunks(ids)) {
        await manager.update(this.config.entity, { id: In(chunk), claimedBy: worker } as never, { lockedUntil: new Date(Date.now() + leaseMs) } as never);
      }
    });
  }

  /** Gives `worker`'s rows back at once (shutdown) instead of letting their lease run out. */
  async release(worker: string): Promise<void> {
    await this.db.write((m) => m.update(this.config.entity, { claimedBy: worker } as never, { claimedBy: null, lockedUntil: null } as never));
  }

  /** Records rows as done, each only while `worker`'s claim still holds. */
  async complete(worker: string, ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    const { done: how, entity } = this.config;
    const done = how === 'delete' ? null : { state: how.state, [how.at]: new Date(), lastError: null, nextAttemptAt: null, lockedUntil: null, claimedBy: null };
    await this.db.write(async (manager) => {
      for (const chunk of chunks(ids)) {
        const mine = { id: In(chunk), claimedBy: worker } as never;
        await (done ? manager.update(entity, mine, done as never) : manager.delete(entity, mine));
      }
    });
  }

  /** Counts the failed attempt; schedules the next one with backoff, or moves the row to the dead letters. */
  fail(worker: string, id: string, error: unknown, retry: Required<NetcoreRetryOptions>, lastAttempt = false): Promise<FailureOutcome> {
    const lastError = String((error as Error)?.stack ?? (error as Error)?.message ?? error).slice(0, ERROR_LIMIT);
    const reason = String((error as Error)?.message ?? error).slice(0, ERROR_LIMIT);
    return this.db.write(async (manager): Promise<FailureOutcome> => {
      const query = this.select(manager).where('w.id = :id AND w.claimedBy = :worker', { id, worker });
      const row = await this.lock(query, false).getOne();
      if (!row) return { state: 'lost' };
      const attempts = row.attempts + 1;
      const dead = lastAttempt || attempts >= retry.maxAttempts;
      const nextAttemptAt = dead ? null : new Date(Date.now() + retryDelayMs(attempts, retry));
      const outcome = { state: dead ? 'dead' : 'failed', attempts, lastError, nextAttemptAt, lockedUntil: null, claimedBy: null };
      await manager.update(this.config.entity, { id } as never, outcome as never);
      if (!dead) return { state: 'failed', attempts, nextAttemptAt: nextAttemptAt! };
      await this.deadLetter(manager, row, reason);
      return { state: 'dead', attempts };
    });
  }

  private select(manager: EntityManager): SelectQueryBuilder<T> {
    const query = manager.getRepository(this.config.entity).createQueryBuilder('w');
    return this.config.join ? this.config.join(query) : query;
  }

  /** FOR UPDATE on PostgreSQL, of the work rows only (not of a joined row, which stays unlocked). */
  private lock(query: SelectQueryBuilder<T>, skipLocked: boolean): SelectQueryBuilder<T> {
    if (!this.db.postgres) return query;
    query.setLock('pessimistic_write', undefined, ['w']);
    return skipLocked ? query.setOnLocked('skip_locked') : query;
  }

  private async hold(manager: EntityManager, worker: string, rows: readonly T[], lockedUntil: number): Promise<void> {
    if (!rows.length) return;
    await manager.update(this.config.entity, { id: In(rows.map((r) => r.id)) } as never, { claimedBy: worker, lockedUntil: new Date(lockedUntil) } as never);
  }

  private async deadLetter(manager: EntityManager, row: T, reason: string): Promise<void> {
    const kind = this.config.deadLetterReason;
    const letter: Partial<NetcoreDeadLetter> = {
      id: randomUUID(),
      fingerprint: deadLetterFingerprint(kind, row.id),
      reason: kind,
      errors: JSON.stringify([reason]),
      payload: this.config.payloadOf(row),
      eventId: row.id,
      state: 'open',
      occurrences: 1,
      createdAt: new Date(),
    };
    const letters = this.db.table(NetcoreDeadLetter);
    await upsert(
      manager,
      NetcoreDeadLetter,
      [letter],
      `("fingerprint") DO UPDATE SET "state" = 'open', "errors" = EXCLUDED."errors", "occurrences" = ${letters}."occurrences" + 1, "resolved_at" = NULL, "resolution" = NULL`,
    );
  }
}
