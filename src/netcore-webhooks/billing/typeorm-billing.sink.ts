import { Injectable } from '@nestjs/common';
import { NetcoreDatabase } from '../database/netcore-database';
import { NetcoreBillingRecord } from '../entities/netcore-billing-record.entity';
import type { NetcoreBillingCharge, NetcoreBillingRestore, NetcoreBillingSink, NetcoreBillingVoid } from './netcore-billing-sink.interface';

/**
 * The default sink: a ledger in `netcore_billing_records`, one row per billable message. As the configured
 * sink it is not called: the module writes each message's row from its billing facts in the transaction that
 * folds them (see `NetcoreBillingProjection`). Its calls serve commands left in the outbox by a host's sink
 * (after switching back to the default), and are idempotent: one row per message, void and restore conditional.
 */
@Injectable()
export class TypeOrmBillingSink implements NetcoreBillingSink {
  constructor(private readonly db: NetcoreDatabase) {}

  async charge({ ncmessageId, category, pricingModel, pricingType, chargedAt }: NetcoreBillingCharge): Promise<void> {
    const row = { ncmessageId, category, pricingModel, pricingType, chargedAt, state: 'charged' as const, voidedAt: null, voidReason: null, updatedAt: new Date() };
    await this.db.write((m) => m.createQueryBuilder().insert().into(NetcoreBillingRecord).values(row).orIgnore().updateEntity(false).execute());
  }

  async void({ ncmessageId, reason, voidedAt }: NetcoreBillingVoid): Promise<void> {
    await this.db.write((m) => m.update(NetcoreBillingRecord, { ncmessageId, state: 'charged' }, { state: 'voided', voidedAt, voidReason: reason, updatedAt: new Date() }));
  }

  async restore({ ncmessageId }: NetcoreBillingRestore): Promise<void> {
    await this.db.write((m) => m.update(NetcoreBillingRecord, { ncmessageId, state: 'voided' }, { state: 'charged', voidedAt: null, voidReason: null, updatedAt: new Date() }));
  }
}
