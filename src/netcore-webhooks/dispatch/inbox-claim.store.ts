import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildInsertOnConflict } from '../database/insert-on-conflict';
import { runSqlStatements, runSqlSteps } from '../database/run-sql-steps';
import { MAX_KEYS_PER_STATEMENT, sqlStatement, type Bind } from '../database/sql-statement';
import type { SqlRows, SqlStatement, SqlSteps } from '../database/sql-steps';
import { processingFingerprint } from '../dead-letters/processing-dead-letter';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreWebhookEvent, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-webhook-event.entity';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { retryDelayMs } from './retry-delay';
import type { FailureOutcome, StoredEvent } from './stored-event';

export interface InboxClaim {
  claimedBy: string;
  lockedUntil: Date;
}

export interface DueClaim {
  /** Oldest first. */
  events: StoredEvent[];
  /** `created_at` of the newest row claimed (epoch ms): where the next claim of the same sweep may start. */
  newest?: number;
}

const ERROR_LIMIT = 2000;
/** `last_error` of a row taken over from a claim that ran out without an outcome. */
const TAKEN_OVER = 'taken over by the recovery sweep: the claim holding it ran out without recording an outcome';
const CLAIMABLE = UNPROCESSED_INBOX_ROWS;

/**
 * Claims on inbox rows. A row is dispatched only under a claim (a token plus a lease in `locked_until`),
 * taken atomically by the database, and every outcome is written conditionally on that token: two
 * dispatchers never hold the same row at once, and a dead one's rows come free when its lease expires.
 */
@Injectable()
export class InboxClaimStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
  ) {}

  /** A claim for rows the caller inserts itself (a webhook request dispatches what it stored). */
  newClaim(now = Date.now()): InboxClaim {
    return { claimedBy: randomUUID(), lockedUntil: new Date(now + this.options.recovery.leaseMs) };
  }

  /**
   * Claims up to `limit` due rows (pending or failed, retry time reached, no live lease), oldest first, in one
   * conditional UPDATE that returns them. PostgreSQL picks the rows in a materialized CTE with FOR UPDATE SKIP
   * LOCKED: concurrent sweeps skip each other's rows instead of queueing, and the LIMIT holds (a subquery in
   * `IN (...)` may be run again by the planner, claiming more rows than asked, slowly).
   * With `from` (a `newest` of an earlier claim), rows created before it are not looked at.
   */
  async claimDue(limit: number, from?: number): Promise<DueClaim> {
    const now = Date.now();
    const claim = this.newClaim(now);
    const t = this.table();
    const statement = sqlStatement(this.dataSource, (p) => {
      // Functions, not strings: SQLite binds by position, so each placeholder is made where the text puts it.
      const after = () => (from === undefined ? '' : ` AND "created_at" >= ${p(from)}`);
      const due = () =>
        `${CLAIMABLE}${after()} AND COALESCE("next_attempt_at", 0) <= ${p(now)} AND COALESCE("locked_until", 0) <= ${p(now)}`;
      // A row another claim held (its holder died, or outlived its lease) says so in `last_error`, as a failed
      // attempt's row does: both may have called a host's billing sink without recording it (`redelivered`).
      const set = () =>
        `SET "claimed_by" = ${p(claim.claimedBy)}, "locked_until" = ${p(claim.lockedUntil.getTime())}, ` +
        `"last_error" = CASE WHEN "claimed_by" IS NOT NULL THEN COALESCE("last_error", ${p(TAKEN_OVER)}) ELSE "last_error" END`;
      const returning = `RETURNING ${t}."id", ${t}."status", ${t}."payload", ${t}."created_at", ${t}."last_error"`;
      if (this.dataSource.options.type === 'postgres') {
        // The picked ids as an array (evaluated once), matched by primary key: no join for the planner to turn
        // into a nested loop over the backlog when its statistics still say the backlog is empty.
        const picked = `WITH picked AS MATERIALIZED (SELECT "id" FROM ${t} WHERE ${due()} ORDER BY "created_at" LIMIT ${p(limit)} FOR UPDATE SKIP LOCKED) `;
        return `${picked}UPDATE ${t} ${set()} WHERE ${t}."id" = ANY(ARRAY(SELECT "id" FROM picked)) ${returning}`;
      }
      const update = `UPDATE ${t} ${set()} `;
      return `${update}WHERE "id" IN (SELECT "id" FROM ${t} WHERE ${due()} ORDER BY "created_at" LIMIT ${p(limit)}) ${returning}`;
    });
    const [rows] = await runSqlStatements(this.dataSource, [statement]);
    rows.sort((a, b) => Number(a.created_at) - Number(b.created_at));
    const events = rows.map((row) => ({
      id: String(row.id),
      status: String(row.status),
      raw: JSON.parse(String(row.payload)) as Record<string, unknown>,
      claim: claim.claimedBy,
      leaseUntil: claim.lockedUntil.getTime(),
      redelivered: row.last_error != null,
    }));
    return { events, newest: rows.length ? Number(rows[rows.length - 1].created_at) : from };
  }

  /** Records rows as processed, each only while its own claim still holds (one statement per 500 rows). */
  async markProcessed(events: readonly StoredEvent[]): Promise<void> {
    const processedAt = Date.now();
    await this.updateClaimed(events, (p) => `"state" = 'processed', "processed_at" = ${p(processedAt)}, "last_error" = NULL, "next_attempt_at" = NULL, `);
  }

  /**
   * Counts the failed attempt; schedules the next one with backoff, or moves the row to the dead letters. One
   * unit of statements (`runSqlSteps`): on SQLite it runs without awaits, so failures recorded at once (several
   * dispatch runs) never share TypeORM's one connection's transaction.
   */
  recordFailure(event: StoredEvent, error: unknown): Promise<FailureOutcome> {
    const lastError = String((error as Error)?.stack ?? (error as Error)?.message ?? error).slice(0, ERROR_LIMIT);
    const reason = String((error as Error)?.message ?? error).slice(0, ERROR_LIMIT);
    const { retry } = this.options;
    const { dataSource } = this;
    const t = this.table();
    const letters = `"${dataSource.getMetadata(NetcoreDeadLetter).tableName}"`;
    const lock = dataSource.options.type === 'postgres' ? ' FOR UPDATE' : '';
    return runSqlSteps(dataSource, function* (): SqlSteps<FailureOutcome> {
      const held = (p: Bind) => `"id" = ${p(event.id)} AND "claimed_by" = ${p(event.claim)}`;
      const [row]: SqlRows = yield sqlStatement(dataSource, (p) => `SELECT "attempts", "payload" FROM ${t} WHERE ${held(p)}${lock}`);
      if (!row) return { state: 'lost' };
      const attempts = Number(row.attempts) + 1;
      const dead = event.lastAttempt === true || attempts >= retry.maxAttempts;
      const now = Date.now();
      const nextAttemptAt = dead ? null : now + retryDelayMs(attempts, retry);
      yield sqlStatement(
        dataSource,
        (p) =>
          `UPDATE ${t} SET "state" = ${p(dead ? 'dead' : 'failed')}, "attempts" = ${p(attempts)}, "last_error" = ${p(lastError)}, ` +
          `"next_attempt_at" = ${p(nextAttemptAt)}, "locked_until" = NULL, "claimed_by" = NULL WHERE ${held(p)}`,
      );
      if (!dead) return { state: 'failed', attempts, nextAttemptAt: new Date(nextAttemptAt!) };
      const letter = {
        id: randomUUID(),
        fingerprint: processingFingerprint(event.id),
        reason: 'processing',
        errors: JSON.stringify([reason]),
        payload: String(row.payload),
        eventId: event.id,
        state: 'open',
        occurrences: 1,
        createdAt: new Date(now),
        resolvedAt: null,
        resolution: null,
      } as const;
      const reopen =
        `("fingerprint") DO UPDATE SET "state" = 'open', "errors" = EXCLUDED."errors", ` +
        `"occurrences" = ${letters}."occurrences" + 1, "resolved_at" = NULL, "resolution" = NULL`;
      yield* buildInsertOnConflict(dataSource.manager, NetcoreDeadLetter, [letter], reopen);
      return { state: 'dead', attempts };
    });
  }

  /** Gives rows back to the sweep at once (on shutdown) instead of letting their lease run out. */
  async release(events: readonly StoredEvent[]): Promise<void> {
    // Only unprocessed rows hold a claim (recording an outcome clears it), so no state condition is needed.
    await this.updateClaimed(events, () => '');
  }

  /**
   * Extends the lease of rows whose claims still hold (a batch that waited in the queue); answers the events
   * still held, with their new lease. The others were taken over by a sweep: their new holder processes them.
   */
  async renew(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const leaseUntil = Date.now() + this.options.recovery.leaseMs;
    const results = await runSqlStatements(
      this.dataSource,
      this.byClaim(events, (p) => `"locked_until" = ${p(leaseUntil)}`, ' RETURNING "id"'),
    );
    const held = new Set(results.flat().map((row) => String(row.id)));
    return events.filter((e) => held.has(e.id)).map((e) => ({ ...e, leaseUntil }));
  }

  /** Updates `events`' rows that their own claims still hold, and lets the claims go. */
  private async updateClaimed(events: readonly StoredEvent[], set: (p: Bind) => string): Promise<void> {
    const statements = this.byClaim(events, (p) => `${set(p)}"locked_until" = NULL, "claimed_by" = NULL`);
    if (statements.length) await runSqlStatements(this.dataSource, statements);
  }

  /**
   * UPDATE statements (500 rows each) for rows matched by (id, claimed_by) pairs: each row under its own claim.
   * Rows are found by primary key (`id IN (...)`), the claim is a filter on them: an `(id, claimed_by) IN
   * (VALUES ...)` semi-join was planned on PostgreSQL, when its statistics were taken before a backlog built
   * up, as a nested loop over every backlog row for each pair (10-17 s per statement).
   *
   * PostgreSQL locks the rows first in idempotency-key order (a materialized CTE, `FOR UPDATE`), the order in
   * which the inbox insert locks the rows a retried webhook repeats: the two cannot deadlock.
   */
  private byClaim(events: readonly StoredEvent[], set: (p: Bind) => string, returning = ''): SqlStatement[] {
    const t = this.table();
    const postgres = this.dataSource.options.type === 'postgres';
    const statements: SqlStatement[] = [];
    for (let i = 0; i < events.length; i += MAX_KEYS_PER_STATEMENT) {
      const chunk = events.slice(i, i + MAX_KEYS_PER_STATEMENT);
      statements.push(
        sqlStatement(this.dataSource, (p) => {
          // Bound in the order they appear (SQLite's placeholders are positional).
          const assignments = set(p);
          const ids = p.list(chunk.map((e) => e.id));
          // '|' never occurs in an id or a claim (both are made by the module: hex digits and dashes).
          const pairs = p.list(chunk.map((e) => `${e.id}|${e.claim}`));
          const held = `"id" IN (${ids}) AND "id" || '|' || "claimed_by" IN (${pairs})`;
          if (!postgres) return `UPDATE ${t} SET ${assignments} WHERE ${held}${returning}`;
          return (
            `WITH locked AS MATERIALIZED (SELECT "id" FROM ${t} WHERE ${held} ORDER BY "idempotency_key" COLLATE "C" FOR UPDATE) ` +
            `UPDATE ${t} SET ${assignments} WHERE ${t}."id" = ANY(ARRAY(SELECT "id" FROM locked))${returning}`
          );
        }),
      );
    }
    return statements;
  }

  /** Takes a dead row back for one more attempt (a replay); null when it is not dead (any more). */
  async claimDead(eventId: string): Promise<StoredEvent | null> {
    const claim = this.newClaim();
    const updated = await this.dataSource
      .createQueryBuilder()
      .update(NetcoreWebhookEvent)
      .set({ state: 'pending', nextAttemptAt: null, ...claim })
      .where({ id: eventId, state: 'dead' })
      .execute();
    if (!updated.affected) return null;
    const row = await this.repository().findOneByOrFail({ id: eventId, claimedBy: claim.claimedBy });
    return { id: row.id, status: row.status, raw: JSON.parse(row.payload) as Record<string, unknown>, claim: claim.claimedBy, leaseUntil: claim.lockedUntil.getTime(), lastAttempt: true, redelivered: true };
  }

  private repository() {
    return this.dataSource.getRepository(NetcoreWebhookEvent);
  }

  private table(): string {
    return `"${this.dataSource.getMetadata(NetcoreWebhookEvent).tableName}"`;
  }
}
