import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager, type ObjectLiteral } from 'typeorm';
import { commutativeSet } from '../database/commutative-set';
import { chunks, NetcoreDatabase, upsert } from '../database/netcore-database';
import { compareKeys, upsertRounds } from '../database/upsert-rounds';
import { NetcoreBillingCommand, type NetcoreBillingCommandKind } from '../entities/netcore-billing-command.entity';
import { NetcoreBillingRecord } from '../entities/netcore-billing-record.entity';
import { NetcoreBillingState } from '../entities/netcore-billing-state.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { asDefaultSink } from '../netcore-sink-provider';
import { billingFacts, commandsDue, COMMAND_SEQ, decideBilling, type BillingDecision } from './billing-rules';
import { NetcoreBillingSink } from './netcore-billing-sink.interface';
import { TypeOrmBillingSink } from './typeorm-billing.sink';

const LEDGER_COLUMNS = ['category', 'pricing_model', 'pricing_type', 'charged_at', 'state', 'voided_at', 'void_reason'];

const instant = (v: unknown) => (v == null ? null : new Date(Number(v)));

/** A RETURNING row of the facts upsert (raw column names; bigint as a string on PostgreSQL). */
function fromRaw(row: ObjectLiteral): NetcoreBillingState {
  return {
    ncmessageId: String(row.ncmessage_id),
    billableAt: instant(row.billable_at),
    category: row.category,
    pricingModel: row.pricing_model,
    pricingType: row.pricing_type,
    failedAt: instant(row.failed_at),
    failureReason: row.failure_reason,
    deliveredAt: instant(row.delivered_at),
    commanded: row.commanded,
    updatedAt: new Date(),
  };
}

/** What the sink is called with for each kind of command (stored as the command's JSON payload). */
function commandPayload(kind: NetcoreBillingCommandKind, state: NetcoreBillingState): object {
  const { ncmessageId } = state;
  if (kind === 'charge') {
    const { category, pricingModel, pricingType, billableAt } = state;
    return { ncmessageId, category, pricingModel, pricingType, chargedAt: billableAt };
  }
  if (kind === 'void') return { ncmessageId, reason: state.failureReason ?? '', voidedAt: state.failedAt };
  return { ncmessageId, deliveredAt: state.deliveredAt };
}

/**
 * Folds events into each message's billing facts and records the decision, in the caller's transaction:
 * - with the default sink, as the message's ledger row, rewritten from the facts, so the ledger depends only on
 *   which events arrived;
 * - with a host's sink, as commands in the billing outbox (`netcore_billing_commands`), sent by the relay.
 * The facts upsert locks each message's row until the transaction ends, so concurrent events of a message
 * see each other's facts and `commanded` in turn.
 */
@Injectable()
export class NetcoreBillingProjection {
  private readonly ledger: boolean;
  private clause?: string;
  private ledgerClause?: string;

  constructor(
    private readonly db: NetcoreDatabase,
    @Inject(NetcoreBillingSink) sink: NetcoreBillingSink,
  ) {
    this.ledger = asDefaultSink(sink, TypeOrmBillingSink) !== null;
  }

  /** Answers how many commands it put in the outbox. */
  async record(manager: EntityManager, events: readonly NetcoreMessageEvent[]): Promise<number> {
    const facts = events.map(billingFacts).filter((f) => f !== null);
    const states = new Map<string, NetcoreBillingState>();
    for (const round of upsertRounds(facts, (f) => f.ncmessageId)) {
      for (const row of await upsert(manager, NetcoreBillingState, round, this.upsertClause())) states.set(String(row.ncmessage_id), fromRaw(row));
    }
    const sorted = [...states.values()].sort((a, b) => compareKeys(a.ncmessageId, b.ncmessageId));
    if (this.ledger) {
      await this.writeLedger(manager, sorted);
      return 0;
    }
    return this.enqueue(manager, sorted);
  }

  private async writeLedger(manager: EntityManager, states: NetcoreBillingState[]): Promise<void> {
    const updatedAt = new Date();
    const rows = states.flatMap((s): Partial<NetcoreBillingRecord>[] => {
      const decision = decideBilling(s);
      if (decision === 'none') return [];
      const voided = decision === 'voided';
      return [
        {
          ncmessageId: s.ncmessageId,
          category: s.category ?? '',
          pricingModel: s.pricingModel ?? '',
          pricingType: s.pricingType ?? '',
          chargedAt: s.billableAt!,
          state: decision,
          voidedAt: voided ? s.failedAt : null,
          voidReason: voided ? (s.failureReason ?? '') : null,
          updatedAt,
        },
      ];
    });
    await upsert(manager, NetcoreBillingRecord, rows, this.ledgerUpsertClause());
  }

  private async enqueue(manager: EntityManager, states: NetcoreBillingState[]): Promise<number> {
    const createdAt = new Date();
    const commands: Partial<NetcoreBillingCommand>[] = [];
    const commanded = new Map<BillingDecision, string[]>();
    for (const state of states) {
      const decision = decideBilling(state);
      const kinds = commandsDue(state.commanded, decision);
      if (!kinds.length) continue;
      for (const kind of kinds) {
        const payload = JSON.stringify(commandPayload(kind, state));
        commands.push({ id: `${state.ncmessageId}:${kind}`, ncmessageId: state.ncmessageId, kind, seq: COMMAND_SEQ[kind], payload, state: 'pending', attempts: 0, createdAt });
      }
      if (!commanded.has(decision)) commanded.set(decision, []);
      commanded.get(decision)!.push(state.ncmessageId);
    }
    await upsert(manager, NetcoreBillingCommand, commands, '("id") DO NOTHING');
    for (const [decision, ids] of commanded) {
      for (const chunk of chunks(ids)) await manager.update(NetcoreBillingState, { ncmessageId: In(chunk) }, { commanded: decision });
    }
    return commands.length;
  }

  /**
   * A message's ledger row is rewritten from its facts, only when that changes it: most events of a charged
   * message (its delivery, its read) leave the decision as it was, and rewriting the row unchanged is a new row
   * version and new index entries for nothing. `updated_at` is thus when the entry last changed.
   */
  private ledgerUpsertClause(): string {
    if (this.ledgerClause) return this.ledgerClause;
    const t = this.db.table(NetcoreBillingRecord);
    const set = [...LEDGER_COLUMNS, 'updated_at'].map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ');
    const row = (prefix: string) => `(${LEDGER_COLUMNS.map((c) => `${prefix}."${c}"`).join(', ')})`;
    return (this.ledgerClause = `("ncmessage_id") DO UPDATE SET ${set} WHERE ${row(t)} IS DISTINCT FROM ${row('EXCLUDED')}`);
  }

  /** The earliest billable event's pricing wins, so the facts are the same whatever order events came in. */
  private upsertClause(): string {
    if (this.clause) return this.clause;
    const t = this.db.table(NetcoreBillingState);
    const earlier = (c: string) => `EXCLUDED."${c}" IS NOT NULL AND (${t}."${c}" IS NULL OR EXCLUDED."${c}" < ${t}."${c}")`;
    const earliestBillable = earlier('billable_at');
    const pricing = (c: string) => `"${c}" = CASE WHEN ${earliestBillable} THEN EXCLUDED."${c}" ELSE ${t}."${c}" END`;
    const set = [
      pricing('category'),
      pricing('pricing_model'),
      pricing('pricing_type'),
      commutativeSet.earliest(t, 'billable_at'),
      commutativeSet.earliestFailureReason(t),
      commutativeSet.earliest(t, 'failed_at'),
      commutativeSet.earliest(t, 'delivered_at'),
      `"updated_at" = EXCLUDED."updated_at"`,
    ];
    // Only an earlier fact changes the row. An event adding none (a read after the delivery) leaves it and its
    // decision as they were: not rewritten, not returned, so its ledger entry or commands are not redone either.
    const changes = ['billable_at', 'failed_at', 'delivered_at'].map((c) => `(${earlier(c)})`).join(' OR ');
    const returning = ['ncmessage_id', 'billable_at', 'category', 'pricing_model', 'pricing_type', 'failed_at', 'failure_reason', 'delivered_at', 'commanded'];
    return (this.clause = `("ncmessage_id") DO UPDATE SET ${set.join(', ')} WHERE ${changes} RETURNING ${returning.map((c) => `"${c}"`).join(', ')}`);
  }
}
