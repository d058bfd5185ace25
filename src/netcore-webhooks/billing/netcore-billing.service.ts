import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NetcoreBillingRecord } from '../entities/netcore-billing-record.entity';

// Sorted here, not in SQL: the order must not depend on the database's collation.
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Charges of one category and pricing model in a time range. */
export interface NetcoreBillingTotal {
  category: string;
  pricingModel: string;
  /** Messages charged in the range (including those voided since). */
  charged: number;
  voided: number;
  /** charged - voided: what is billed. */
  net: number;
}

/** Queries over the default sink's ledger (`TypeOrmBillingSink`); a host with its own sink keeps its own ledger. */
@Injectable()
export class NetcoreBillingService {
  constructor(@InjectRepository(NetcoreBillingRecord) private readonly records: Repository<NetcoreBillingRecord>) {}

  /** The ledger entry of one message, or null if it was never charged. */
  findOne(ncmessageId: string): Promise<NetcoreBillingRecord | null> {
    return this.records.findOneBy({ ncmessageId });
  }

  /** Totals per category and pricing model for charges whose `chargedAt` is in [from, to). */
  async totals({ from, to }: { from: Date; to: Date }): Promise<NetcoreBillingTotal[]> {
    const rows = await this.records
      .createQueryBuilder('r')
      .select('r.category', 'category')
      .addSelect('r.pricingModel', 'pricingModel')
      .addSelect('COUNT(*)', 'charged')
      .addSelect("SUM(CASE WHEN r.state = 'voided' THEN 1 ELSE 0 END)", 'voided')
      .where('r.chargedAt >= :from AND r.chargedAt < :to', { from: from.getTime(), to: to.getTime() })
      .groupBy('r.category')
      .addGroupBy('r.pricingModel')
      .getRawMany<{ category: string; pricingModel: string; charged: string | number; voided: string | number }>();
    return rows
      .map((r) => {
        const charged = Number(r.charged);
        const voided = Number(r.voided);
        return { category: r.category, pricingModel: r.pricingModel, charged, voided, net: charged - voided };
      })
      .sort((a, b) => byCodeUnits(a.category, b.category) || byCodeUnits(a.pricingModel, b.pricingModel));
  }
}
