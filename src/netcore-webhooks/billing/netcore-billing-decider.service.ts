import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { commutativeSet } from '../database/commutative-set';
import { insertOnConflictReturning } from '../database/insert-on-conflict-returning';
import { NetcoreBillingState, type NetcoreBillingNotified } from '../entities/netcore-billing-state.entity';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { billingCall, decideBilling, notifiedAfter, type BillingCall } from './billing-decision';
import { NetcoreBillingSink } from './netcore-billing-sink.interface';

/** How long one worker may hold a message's sink call before another may take over (a crashed worker). */
const CLAIM_MS = 30_000;
const POLL_MS = 20;

/** The columns `notify` decides on. */
type ClaimView = Pick<NetcoreBillingState, 'billableAt' | 'failedAt' | 'deliveredAt' | 'notified' | 'claimedUntil'>;

const instant = (v: unknown) => (v == null ? null : new Date(Number(v)));

/** The upsert's RETURNING row (raw column names; bigint as string on PostgreSQL). */
function fromRaw(row: Record<string, unknown>): ClaimView {
  return {
    billableAt: instant(row.billable_at),
    failedAt: instant(row.failed_at),
    deliveredAt: instant(row.delivered_at),
    notified: row.notified as NetcoreBillingNotified,
    claimedUntil: instant(row.claimed_until),
  };
}

/** An event that says nothing about billing (a non-billable click, an unknown status) leaves no trace. */
function billingFacts(event: NetcoreMessageEvent) {
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
    notified: 'none' as NetcoreBillingNotified,
    claimToken: null,
    claimedUntil: null,
    updatedAt: new Date(),
  };
}

/**
 * Turns events into billing decisions and tells the sink each decision once.
 *
 * 1. The event's facts are folded into `netcore_billing_states` by one upsert with commutative clauses:
 *    concurrent events of a message serialize on its row, and the facts (hence the decision) come out the
 *    same in any order. No read-modify-write in JS.
 * 2. While nobody holds the row and the sink is behind the decision, a worker claims it (conditional UPDATE
 *    with an expiring claim, so a crashed worker does not block it forever), re-reads, calls the sink,
 *    records what it told it and releases. A worker that finds the row held waits for the release and
 *    looks again: the holder may be telling the sink a decision made before this worker's facts.
 */
@Injectable()
export class NetcoreBillingDecider {
  private upsertSql?: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NetcoreBillingSink) private readonly sink: NetcoreBillingSink,
  ) {}

  async apply(event: NetcoreMessageEvent): Promise<void> {
    const facts = billingFacts(event);
    if (!facts) return;
    const [merged] = await insertOnConflictReturning(this.dataSource.manager, NetcoreBillingState, [facts], this.onConflict(), [
      'billable_at',
      'failed_at',
      'delivered_at',
      'notified',
      'claimed_until',
    ]);
    await this.notify(event.ncmessageId, fromRaw(merged));
  }

  /**
   * Returns once the sink is up to date with every fact committed before this call. "Up to date" is only
   * trusted when nobody holds the row: a holder may be telling the sink a decision made before our facts.
   */
  private async notify(ncmessageId: string, first: ClaimView): Promise<void> {
    const giveUpAt = Date.now() + CLAIM_MS + 5_000;
    for (let state = first; ; state = await this.read(ncmessageId)) {
      const held = state.claimedUntil !== null && state.claimedUntil.getTime() >= Date.now();
      if (!held) {
        if (!billingCall(state.notified, decideBilling(state))) return;
        const token = randomUUID();
        if (await this.claim(ncmessageId, token)) return this.callAndRelease(ncmessageId, token);
      }
      if (Date.now() > giveUpAt) {
        throw new Error(`billing of message ${ncmessageId} is still claimed by another worker; the event will be retried`);
      }
      await sleep(POLL_MS);
    }
  }

  private async callAndRelease(ncmessageId: string, token: string): Promise<void> {
    let notified: NetcoreBillingNotified | undefined;
    try {
      // Re-read under the claim: facts may have grown since the unclaimed read.
      const state = await this.read(ncmessageId);
      const call = billingCall(state.notified, decideBilling(state));
      if (call) {
        await this.call(call, state);
        notified = notifiedAfter(call);
      }
    } finally {
      await this.dataSource
        .createQueryBuilder()
        .update(NetcoreBillingState)
        .set({ ...(notified ? { notified } : {}), claimToken: null, claimedUntil: null })
        .where('ncmessage_id = :ncmessageId AND claim_token = :token', { ncmessageId, token })
        .execute();
    }
  }

  private call(call: BillingCall, state: NetcoreBillingState): Promise<void> {
    const { ncmessageId } = state;
    switch (call) {
      case 'charge':
        return this.sink.charge({
          ncmessageId,
          category: state.category ?? '',
          pricingModel: state.pricingModel ?? '',
          pricingType: state.pricingType ?? '',
          chargedAt: state.billableAt!,
        });
      case 'void':
        return this.sink.void({ ncmessageId, reason: state.failureReason ?? '', voidedAt: state.failedAt! });
      case 'restore':
        return this.sink.restore({ ncmessageId, deliveredAt: state.deliveredAt! });
    }
  }

  private async claim(ncmessageId: string, token: string): Promise<boolean> {
    const now = Date.now();
    const result = await this.dataSource
      .createQueryBuilder()
      .update(NetcoreBillingState)
      .set({ claimToken: token, claimedUntil: new Date(now + CLAIM_MS) })
      .where('ncmessage_id = :ncmessageId AND (claimed_until IS NULL OR claimed_until < :now)', { ncmessageId, now })
      .execute();
    return result.affected === 1;
  }

  private read(ncmessageId: string): Promise<NetcoreBillingState> {
    return this.dataSource.getRepository(NetcoreBillingState).findOneByOrFail({ ncmessageId });
  }

  private onConflict(): string {
    if (this.upsertSql) return this.upsertSql;
    const t = `"${this.dataSource.getMetadata(NetcoreBillingState).tableName}"`;
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
    ].join(', ')}`;
    return this.upsertSql;
  }
}
