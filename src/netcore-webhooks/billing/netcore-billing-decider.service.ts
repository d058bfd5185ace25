import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { commutativeSet } from '../database/commutative-set';
import { buildInsertOnConflict } from '../database/insert-on-conflict';
import { runSqlStatements } from '../database/run-sql-steps';
import { MAX_KEYS_PER_STATEMENT, sqlStatement, type Bind } from '../database/sql-statement';
import type { SqlRows, SqlStatement, SqlSteps } from '../database/sql-steps';
import { upsertRounds } from '../database/upsert-rounds';
import { NetcoreBillingState, type NetcoreBillingNotified } from '../entities/netcore-billing-state.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { asDefaultSink } from '../netcore-sink-provider';
import { billingPlan, isUncertain, type BillingCall, type BillingPlan } from './billing-decision';
import { NetcoreBillingSink, type NetcoreBillingCharge, type NetcoreBillingRestore, type NetcoreBillingVoid } from './netcore-billing-sink.interface';
import { TypeOrmBillingSink } from './typeorm-billing.sink';

/** How long one worker may hold a message's sink call before another may take over (a crashed worker). */
const CLAIM_MS = 30_000;
const POLL_MS = 20;
/** Every column a sink call needs, so a claim's RETURNING is the re-read under the claim. */
const STATE_COLUMNS = [
  'ncmessage_id',
  'billable_at',
  'category',
  'pricing_model',
  'pricing_type',
  'failed_at',
  'failure_reason',
  'delivered_at',
  'notified',
  'claimed_until',
] as const;
const RETURNING = STATE_COLUMNS.map((c) => `"${c}"`).join(', ');

/** A message's billing row as the decider reads it. */
type BillingView = Omit<NetcoreBillingState, 'claimToken' | 'updatedAt'>;

const instant = (v: unknown) => (v == null ? null : new Date(Number(v)));

/** A RETURNING row (raw column names; bigint as string on PostgreSQL). */
function fromRaw(row: Record<string, unknown>): BillingView {
  return {
    ncmessageId: String(row.ncmessage_id),
    billableAt: instant(row.billable_at),
    category: row.category as string | null,
    pricingModel: row.pricing_model as string | null,
    pricingType: row.pricing_type as string | null,
    failedAt: instant(row.failed_at),
    failureReason: row.failure_reason as string | null,
    deliveredAt: instant(row.delivered_at),
    notified: row.notified as NetcoreBillingNotified,
    claimedUntil: instant(row.claimed_until),
  };
}

/** An event that says nothing about billing (a non-billable click, an unknown status) leaves no trace. */
function billingFacts(event: NetcoreMessageEvent): Partial<NetcoreBillingState> | null {
  const billable = event.status !== 'failed' && event.pricing?.billable === true;
  const failed = event.status === 'failed';
  const delivered = event.status === 'delivered' || event.status === 'read';
  if (!billable && !failed && !delivered) return null;
  return {
    ncmessageId: event.ncmessageId,
    billableAt: billable ? event.receivedAt : null,
    category: billable ? (event.pricing?.category ?? '') : null,
    pricingModel: billable ? (event.pricing?.pricingModel ?? '') : null,
    pricingType: billable ? (event.pricing?.type ?? '') : null,
    failedAt: failed ? event.receivedAt : null,
    failureReason: failed ? (event.statusRemark ?? '') : null,
    deliveredAt: delivered ? event.receivedAt : null,
    notified: 'none',
    claimToken: null,
    claimedUntil: null,
    updatedAt: new Date(),
  };
}

const isHeld = (state: BillingView, now: number) => state.claimedUntil !== null && state.claimedUntil.getTime() >= now;
/**
 * A claim that ran out was never released: its holder died, or its call outlasted it. A holder marks its
 * messages `calling` before it calls, but one of an earlier version did not: such a message counts as not known.
 */
const claimRanOut = (state: BillingView, now: number) => state.claimedUntil !== null && state.claimedUntil.getTime() < now;
/** The sink calls due for `state`, in order, and what the sink then holds (see `billingPlan`). */
const planFor = (state: BillingView, uncertain: boolean) => billingPlan(state.notified, state, uncertain);

/** The calls planned for a claimed message. */
interface Plan extends BillingPlan {
  state: BillingView;
}

interface ClaimedCalls {
  /** Messages another worker held: not called. */
  missed: string[];
  /** Messages this worker called the sink for, taken over before it recorded what it told it. */
  lost: string[];
}

/**
 * Turns events into billing decisions and tells the sink each decision once.
 *
 * 1. `steps`: the events' facts are folded into `netcore_billing_states` by upserts with commutative
 *    clauses: concurrent events of a message serialize on its row, and the facts (hence the decision) come
 *    out the same in any order. No read-modify-write in JS. When the sink is the module's own ledger
 *    (`TypeOrmBillingSink`), telling it is a write in the same database: the decisions are recorded in the
 *    ledger and in `notified` by the same transaction, under the row locks the upserts took, so no claim is
 *    needed and a crash loses the facts and the ledger entry together.
 * 2. `settle` (a host's sink): the messages whose sink is behind the decision and that nobody holds are claimed together
 *    (one conditional UPDATE with an expiring claim, so a crashed worker does not block them forever; its
 *    RETURNING is the re-read under the claim), the sink is called, what it was told is recorded and the
 *    claims are released. A message found held is waited for and looked at again: the holder may be telling
 *    the sink a decision made before our facts.
 * 3. What the sink was told is recorded as not known (`notified` = `calling`) before the calls, and replaced
 *    by what it was told only when every call for the message returned: a worker that dies, or whose call
 *    throws (perhaps after it took effect, as a client timeout does), leaves the message so. A worker whose
 *    calls returned after the message was taken over (its claim ran out) records `unknown`, which the new
 *    holder's release keeps. A message not known is brought to its decision by calls that reach it from any
 *    state of the sink (`billingPlan`), whoever handles it next.
 */
@Injectable()
export class NetcoreBillingDecider {
  private readonly logger = new Logger('NetcoreWebhooks');
  private upsertSql?: string;
  /** The sink when it is the module's own ledger (not a subclass: that may record differently). */
  private readonly ledger: TypeOrmBillingSink | null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NetcoreBillingSink) private readonly sink: NetcoreBillingSink,
  ) {
    this.ledger = asDefaultSink(sink, TypeOrmBillingSink);
  }

  /**
   * Statements that fold the events' facts in (and, with the ledger as sink, record the decisions); answers the
   * touched messages' rows that `settle` must still bring the sink up to date for, after the transaction.
   */
  *steps(events: readonly NetcoreMessageEvent[]): SqlSteps<BillingView[]> {
    const states = yield* this.factSteps(events);
    return this.ledger ? yield* this.recordSteps(states, this.ledger) : states;
  }

  /** Statements that fold the events' facts in; answers each touched message's row after the last of them. */
  private *factSteps(events: readonly NetcoreMessageEvent[]): SqlSteps<BillingView[]> {
    const facts = events.map(billingFacts).filter((f) => f !== null);
    const states = new Map<string, BillingView>();
    for (const round of upsertRounds(facts, (f) => f.ncmessageId!)) {
      for (const statement of buildInsertOnConflict(this.dataSource.manager, NetcoreBillingState, round, this.onConflict())) {
        const rows: SqlRows = yield statement;
        for (const row of rows) states.set(String(row.ncmessage_id), fromRaw(row));
      }
    }
    return [...states.values()];
  }

  /**
   * Tells the ledger the decisions due for `states`, whose rows this transaction locked by upserting them, and
   * records what it was told. Answers the states it leaves to `settle`: those another worker's claim holds.
   */
  private *recordSteps(states: readonly BillingView[], ledger: TypeOrmBillingSink): SqlSteps<BillingView[]> {
    const now = Date.now();
    const held: BillingView[] = [];
    const due = new Map<BillingCall, BillingView[]>();
    const told = new Map<NetcoreBillingNotified, string[]>();
    for (const state of states) {
      if (isHeld(state, now)) {
        held.push(state);
        continue;
      }
      const plan = planFor(state, claimRanOut(state, now));
      if (!plan) continue;
      for (const call of plan.calls) due.set(call, [...(due.get(call) ?? []), state]);
      told.set(plan.after, [...(told.get(plan.after) ?? []), state.ncmessageId]);
    }
    // In this order: a message not known gets its charge before its restore.
    yield* ledger.chargeStatements((due.get('charge') ?? []).map((state) => this.charge(state)));
    yield* ledger.voidStatements((due.get('void') ?? []).map((state) => this.voided(state)));
    yield* ledger.restoreStatements((due.get('restore') ?? []).map((state) => this.restored(state)));
    const t = this.table();
    for (const [notified, ids] of told) {
      for (let i = 0; i < ids.length; i += MAX_KEYS_PER_STATEMENT) {
        const chunk = ids.slice(i, i + MAX_KEYS_PER_STATEMENT);
        // A claim that ran out (a worker of a host's sink, before the ledger) is done with.
        yield sqlStatement(
          this.dataSource,
          (p) => `UPDATE ${t} SET "notified" = ${p(notified)}, "claim_token" = NULL, "claimed_until" = NULL WHERE "ncmessage_id" IN (${p.list(chunk)})`,
        );
      }
    }
    return held;
  }

  /**
   * Returns once the sink is up to date with every fact committed before the call, for each of `states`.
   * `unsure`: messages to treat as not known whatever `notified` says (an event processed again after an
   * attempt that may have died, or failed, between a sink call and its bookkeeping).
   */
  async settle(states: readonly BillingView[], unsure: ReadonlySet<string> = new Set()): Promise<void> {
    const now = Date.now();
    // Not known whatever `notified` says: a claim that ran out, or an event processed again.
    const uncertain = new Set(states.filter((s) => claimRanOut(s, now) || unsure.has(s.ncmessageId)).map((s) => s.ncmessageId));
    const due = states.filter((s) => !isHeld(s, now) && planFor(s, uncertain.has(s.ncmessageId)));
    const held = states.filter((s) => isHeld(s, now));
    const { missed, lost } = due.length ? await this.callClaimed(due.map((s) => s.ncmessageId), uncertain) : { missed: [], lost: [] };
    // A message lost is recorded `unknown`: looked at again now, and by its event's retry if that fails.
    for (const ncmessageId of [...lost, ...missed, ...held.map((s) => s.ncmessageId)]) await this.settleOne(ncmessageId);
  }

  /**
   * Claims what it can of `ncmessageIds`, brings the sink up to date for those (`uncertain`: messages not known
   * whatever `notified` says), releases. Answers the messages to look at again: those another
   * worker held, and those taken over while this worker was calling the sink for them.
   */
  private async callClaimed(ncmessageIds: string[], uncertain: ReadonlySet<string>): Promise<ClaimedCalls> {
    const token = randomUUID();
    const now = Date.now();
    const claim = this.orderedUpdate(
      (p) => `"claim_token" = ${p(token)}, "claimed_until" = ${p(now + CLAIM_MS)}`,
      (p) => `"ncmessage_id" IN (${p.list(ncmessageIds)}) AND ("claimed_until" IS NULL OR "claimed_until" < ${p(now)})`,
      { skipLocked: true, returning: RETURNING },
    );
    const [rows] = await runSqlStatements(this.dataSource, [claim]);
    const claimed = rows.map(fromRaw);
    const plans = claimed.flatMap((state): Plan[] => {
      const plan = planFor(state, uncertain.has(state.ncmessageId));
      return plan ? [{ state, ...plan }] : [];
    });
    const told = new Map<string, NetcoreBillingNotified>();
    const attempted = new Set<string>();
    let lost: string[] = [];
    try {
      if (plans.length) {
        const [rows] = await runSqlStatements(this.dataSource, [this.markCalling(token, plans.map((plan) => plan.state.ncmessageId))]);
        // Only messages still held and marked are called (a stall may have let the claim run out meanwhile).
        const marked = new Set(rows.map((row) => String(row.ncmessage_id)));
        await this.makeCalls(token, claimed, plans.filter((plan) => marked.has(plan.state.ncmessageId)), told, attempted);
      }
    } finally {
      // A message whose calls were not all made stays `calling`, unless none was made and it was known before.
      const outcome = new Map<string, NetcoreBillingNotified>(told);
      for (const { state } of plans) {
        const untouched = !attempted.has(state.ncmessageId) && !uncertain.has(state.ncmessageId) && !isUncertain(state.notified);
        if (untouched) outcome.set(state.ncmessageId, state.notified);
      }
      const released = await this.release(token, claimed.map((c) => c.ncmessageId), outcome);
      lost = [...attempted].filter((id) => !released.has(id));
      if (lost.length) {
        // The new holder may have told the sink its decision before these calls landed: not known any more.
        this.logger.warn(
          `Billing sink call(s) for ${lost.length} message(s) outlasted their ${CLAIM_MS / 1000} s claim and the messages were taken over; they will be brought to their decision again`,
        );
        await runSqlStatements(this.dataSource, [this.orderedUpdate((p) => `"notified" = ${p('unknown')}`, (p) => `"ncmessage_id" IN (${p.list(lost)})`)]);
      }
    }
    const got = new Set(claimed.map((s) => s.ncmessageId));
    return { missed: ncmessageIds.filter((id) => !got.has(id)), lost };
  }

  /**
   * Makes the planned calls, kind by kind (charges, voids, restores: a message's calls keep their order), a
   * kind's calls in one when the sink takes them together. A message's `told` is set once all its calls
   * returned; `attempted` holds every message a call was made for.
   */
  private async makeCalls(
    token: string,
    claimed: readonly BillingView[],
    plans: Plan[],
    told: Map<string, NetcoreBillingNotified>,
    attempted: Set<string>,
  ): Promise<void> {
    // Every claimed message, planned or not: a renewal keeps all of them held until the release.
    let current = new Map(claimed.map((state) => [state.ncmessageId, state]));
    let renewedAt = Date.now();
    const done = (plan: Plan, call: BillingCall) => {
      if (plan.calls[plan.calls.length - 1] === call) told.set(plan.state.ncmessageId, plan.after);
    };
    for (const kind of ['charge', 'void', 'restore'] as const) {
      const due = plans.filter((plan) => plan.calls.includes(kind) && current.has(plan.state.ncmessageId));
      if (due.length > 1 && this.takesMany(kind)) {
        for (const plan of due) attempted.add(plan.state.ncmessageId);
        await this.callMany(kind, due.map((plan) => current.get(plan.state.ncmessageId)!));
        for (const plan of due) done(plan, kind);
        continue;
      }
      for (const plan of due) {
        if (Date.now() - renewedAt > CLAIM_MS / 3) {
          // Calls one by one can outlast the claim: renew it, re-read, and skip messages taken over meanwhile.
          current = await this.renew(token, [...current.keys()]);
          renewedAt = Date.now();
        }
        const fresh = current.get(plan.state.ncmessageId);
        if (!fresh) continue;
        attempted.add(fresh.ncmessageId);
        await this.call(kind, fresh);
        done(plan, kind);
      }
    }
  }

  /** Records the claimed `ncmessageIds` as not known to the sink until their calls return (see the class). */
  private markCalling(token: string, ncmessageIds: string[]): SqlStatement {
    return this.orderedUpdate(
      (p) => `"notified" = ${p('calling')}`,
      (p) => `"ncmessage_id" IN (${p.list(ncmessageIds)}) AND "claim_token" = ${p(token)}`,
      { returning: '"ncmessage_id"' },
    );
  }

  /** Extends the claim on the rows it still holds; answers their current state. */
  private async renew(token: string, ncmessageIds: string[]): Promise<Map<string, BillingView>> {
    const renew = this.orderedUpdate(
      (p) => `"claimed_until" = ${p(Date.now() + CLAIM_MS)}`,
      (p) => `"ncmessage_id" IN (${p.list(ncmessageIds)}) AND "claim_token" = ${p(token)}`,
      { returning: RETURNING },
    );
    const [rows] = await runSqlStatements(this.dataSource, [renew]);
    return new Map(rows.map((row) => [String(row.ncmessage_id), fromRaw(row)]));
  }

  /**
   * Records what the sink was told (`outcome`, over `calling` only: an `unknown` recorded meanwhile by a worker
   * whose calls landed late stays) and lets the claims go: one statement, by primary key. Answers the
   * messages released, i.e. still held under `token`.
   */
  private async release(token: string, claimed: readonly string[], outcome: ReadonlyMap<string, NetcoreBillingNotified>): Promise<Set<string>> {
    if (!claimed.length) return new Set();
    const t = this.table();
    const byOutcome = new Map<NetcoreBillingNotified, string[]>();
    for (const [id, after] of outcome) byOutcome.set(after, [...(byOutcome.get(after) ?? []), id]);
    const release = this.orderedUpdate(
      (p) => {
        const cases = [...byOutcome]
          .map(([notified, ids]) => `WHEN ${t}."notified" = ${p('calling')} AND ${t}."ncmessage_id" IN (${p.list(ids)}) THEN ${p(notified)} `)
          .join('');
        return `${cases ? `"notified" = CASE ${cases}ELSE ${t}."notified" END, ` : ''}"claim_token" = NULL, "claimed_until" = NULL`;
      },
      (p) => `"ncmessage_id" IN (${p.list(claimed)}) AND "claim_token" = ${p(token)}`,
      { returning: '"ncmessage_id"' },
    );
    const [rows] = await runSqlStatements(this.dataSource, [release]);
    return new Set(rows.map((row) => String(row.ncmessage_id)));
  }

  /**
   * `UPDATE t SET <set> WHERE <where>`. On PostgreSQL the rows are first locked in key order (a materialized
   * CTE, `FOR UPDATE`, optionally `SKIP LOCKED`), the order `steps` locks them in, so a claim or release
   * of many rows and a concurrent batch of facts cannot deadlock.
   */
  private orderedUpdate(
    set: (p: Bind) => string,
    where: (p: Bind) => string,
    { skipLocked = false, returning }: { skipLocked?: boolean; returning?: string } = {},
  ): SqlStatement {
    const t = this.table();
    return sqlStatement(this.dataSource, (p) => {
      if (this.dataSource.options.type !== 'postgres') {
        const assignments = set(p);
        return `UPDATE ${t} SET ${assignments} WHERE ${where(p)}${returning ? ` RETURNING ${returning}` : ''}`;
      }
      const locked =
        `WITH locked AS MATERIALIZED (SELECT "ncmessage_id" FROM ${t} WHERE ${where(p)} ` +
        `ORDER BY "ncmessage_id" COLLATE "C" FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}) `;
      // The locked keys as an array, matched by primary key: no join the planner could run as a nested loop.
      return `${locked}UPDATE ${t} SET ${set(p)} WHERE ${t}."ncmessage_id" = ANY(ARRAY(SELECT "ncmessage_id" FROM locked))` + (returning ? ` RETURNING ${returning}` : '');
    });
  }

  /** One message, waiting out another worker's claim (rare: two workers on one message at once). */
  private async settleOne(ncmessageId: string): Promise<void> {
    const giveUpAt = Date.now() + CLAIM_MS + 5_000;
    for (;;) {
      const state = fromStored(await this.dataSource.getRepository(NetcoreBillingState).findOneByOrFail({ ncmessageId }));
      const now = Date.now();
      if (!isHeld(state, now)) {
        const ranOut = claimRanOut(state, now);
        if (!planFor(state, ranOut)) return;
        const { missed, lost } = await this.callClaimed([ncmessageId], ranOut ? new Set([ncmessageId]) : new Set());
        if (lost.length) {
          // Recorded `unknown`: the event's retry brings the sink to the decision (no endless wait here).
          throw new Error(`a billing sink call for message ${ncmessageId} outlasted its claim again; the event will be retried`);
        }
        if (!missed.length) return;
      }
      if (Date.now() > giveUpAt) {
        throw new Error(`billing of message ${ncmessageId} is still claimed by another worker; the event will be retried`);
      }
      await sleep(POLL_MS);
    }
  }

  private charge(state: BillingView): NetcoreBillingCharge {
    return {
      ncmessageId: state.ncmessageId,
      category: state.category ?? '',
      pricingModel: state.pricingModel ?? '',
      pricingType: state.pricingType ?? '',
      chargedAt: state.billableAt!,
    };
  }

  private voided(state: BillingView): NetcoreBillingVoid {
    return { ncmessageId: state.ncmessageId, reason: state.failureReason ?? '', voidedAt: state.failedAt! };
  }

  private restored(state: BillingView): NetcoreBillingRestore {
    return { ncmessageId: state.ncmessageId, deliveredAt: state.deliveredAt! };
  }

  private call(call: BillingCall, state: BillingView): Promise<void> {
    switch (call) {
      case 'charge':
        return this.sink.charge(this.charge(state));
      case 'void':
        return this.sink.void(this.voided(state));
      case 'restore':
        return this.sink.restore(this.restored(state));
    }
  }

  /** Whether the sink has the method for several calls of `call`'s kind at once. */
  private takesMany(call: BillingCall): boolean {
    const { chargeMany, voidMany, restoreMany } = this.sink;
    return Boolean(call === 'charge' ? chargeMany : call === 'void' ? voidMany : restoreMany);
  }

  /** One call for several messages (see `takesMany`). */
  private async callMany(call: BillingCall, states: BillingView[]): Promise<void> {
    if (call === 'charge') await this.sink.chargeMany!(states.map((s) => this.charge(s)));
    else if (call === 'void') await this.sink.voidMany!(states.map((s) => this.voided(s)));
    else await this.sink.restoreMany!(states.map((s) => this.restored(s)));
  }

  private table(): string {
    return `"${this.dataSource.getMetadata(NetcoreBillingState).tableName}"`;
  }

  private onConflict(): string {
    if (this.upsertSql) return this.upsertSql;
    const t = this.table();
    const earliest = (c: string) => commutativeSet.earliest(t, c);
    // The pricing of the first billable event stored wins; later ones do not change a charge.
    const firstPricing = (c: string) => `"${c}" = CASE WHEN ${t}."billable_at" IS NULL THEN EXCLUDED."${c}" ELSE ${t}."${c}" END`;
    this.upsertSql = `("ncmessage_id") DO UPDATE SET ${[
      firstPricing('category'),
      firstPricing('pricing_model'),
      firstPricing('pricing_type'),
      `"billable_at" = COALESCE(${t}."billable_at", EXCLUDED."billable_at")`,
      commutativeSet.earliestFailureReason(t),
      earliest('failed_at'),
      earliest('delivered_at'),
      `"updated_at" = EXCLUDED."updated_at"`,
    ].join(', ')} RETURNING ${RETURNING}`;
    return this.upsertSql;
  }
}

function fromStored({ claimToken: _token, updatedAt: _updated, ...view }: NetcoreBillingState): BillingView {
  return view;
}
