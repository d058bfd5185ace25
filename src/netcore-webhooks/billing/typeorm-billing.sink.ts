import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { insertOnConflict } from '../database/insert-on-conflict';
import { NetcoreBillingRecord } from '../entities/netcore-billing-record.entity';
import type {
  NetcoreBillingCharge,
  NetcoreBillingRestore,
  NetcoreBillingSink,
  NetcoreBillingVoid,
} from './netcore-billing-sink.interface';

/**
 * The default sink: a ledger in `netcore_billing_records`. Every call is idempotent: the primary key allows
 * one charge per message, and void/restore are conditional on the current state.
 */
@Injectable()
export class TypeOrmBillingSink implements NetcoreBillingSink {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async charge(charge: NetcoreBillingCharge): Promise<void> {
    await this.chargeMany([charge]);
  }

  async chargeMany(charges: NetcoreBillingCharge[]): Promise<void> {
    const updatedAt = new Date();
    await insertOnConflict(
      this.dataSource.manager,
      NetcoreBillingRecord,
      charges.map((charge) => ({ ...charge, state: 'charged', voidedAt: null, voidReason: null, updatedAt })),
      '("ncmessage_id") DO NOTHING',
    );
  }

  async void({ ncmessageId, reason, voidedAt }: NetcoreBillingVoid): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(NetcoreBillingRecord)
      .set({ state: 'voided', voidedAt, voidReason: reason, updatedAt: new Date() })
      .where("ncmessage_id = :ncmessageId AND state = 'charged'", { ncmessageId })
      .execute();
  }

  async restore({ ncmessageId }: NetcoreBillingRestore): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(NetcoreBillingRecord)
      .set({ state: 'charged', voidedAt: null, voidReason: null, updatedAt: new Date() })
      .where("ncmessage_id = :ncmessageId AND state = 'voided'", { ncmessageId })
      .execute();
  }
}
