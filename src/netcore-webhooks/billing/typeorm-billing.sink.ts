import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { buildInsertOnConflict } from '../database/insert-on-conflict';
import { runSqlStatements } from '../database/run-sql-steps';
import { MAX_KEYS_PER_STATEMENT, sqlStatement } from '../database/sql-statement';
import type { SqlStatement } from '../database/sql-steps';
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
    await this.run(this.chargeStatements(charges));
  }

  async void(voided: NetcoreBillingVoid): Promise<void> {
    await this.voidMany([voided]);
  }

  async voidMany(voids: NetcoreBillingVoid[]): Promise<void> {
    await this.run(this.voidStatements(voids));
  }

  async restore(restored: NetcoreBillingRestore): Promise<void> {
    await this.restoreMany([restored]);
  }

  async restoreMany(restores: NetcoreBillingRestore[]): Promise<void> {
    await this.run(this.restoreStatements(restores));
  }

  /**
   * The statements behind each call, for `runSqlSteps`: the module records its billing decisions with them in
   * the transaction that folds in the facts, when this is the billing sink.
   */
  chargeStatements(charges: readonly NetcoreBillingCharge[]): SqlStatement[] {
    const updatedAt = new Date();
    const rows = charges.map((charge) => ({ ...charge, state: 'charged' as const, voidedAt: null, voidReason: null, updatedAt }));
    return buildInsertOnConflict(this.dataSource.manager, NetcoreBillingRecord, rows, '("ncmessage_id") DO NOTHING');
  }

  /** Voids the charges that stand: one UPDATE ... FROM unnest on PostgreSQL, a prepared statement per row on SQLite. */
  voidStatements(voids: readonly NetcoreBillingVoid[]): SqlStatement[] {
    if (!voids.length) return [];
    const t = this.table();
    const updatedAt = Date.now();
    const set = (voidedAt: string, reason: string) => `"state" = 'voided', "voided_at" = ${voidedAt}, "void_reason" = ${reason}`;
    if (this.dataSource.options.type === 'postgres') {
      return [
        sqlStatement(this.dataSource, (p) => {
          const rows = `unnest(${p(voids.map((v) => v.ncmessageId))}::varchar[], ${p(voids.map((v) => v.voidedAt.getTime()))}::bigint[], ${p(voids.map((v) => v.reason))}::text[])`;
          return (
            `UPDATE ${t} SET ${set('v."voided_at"', 'v."reason"')}, "updated_at" = ${p(updatedAt)} FROM ${rows} AS v("ncmessage_id", "voided_at", "reason") ` +
            `WHERE ${t}."ncmessage_id" = v."ncmessage_id" AND ${t}."state" = 'charged'`
          );
        }),
      ];
    }
    return voids.map((v) =>
      sqlStatement(
        this.dataSource,
        (p) => `UPDATE ${t} SET ${set(p(v.voidedAt.getTime()), p(v.reason))}, "updated_at" = ${p(updatedAt)} WHERE "ncmessage_id" = ${p(v.ncmessageId)} AND "state" = 'charged'`,
      ),
    );
  }

  /** Makes voided charges stand again. */
  restoreStatements(restores: readonly NetcoreBillingRestore[]): SqlStatement[] {
    const t = this.table();
    const updatedAt = Date.now();
    const statements: SqlStatement[] = [];
    for (let i = 0; i < restores.length; i += MAX_KEYS_PER_STATEMENT) {
      const ids = restores.slice(i, i + MAX_KEYS_PER_STATEMENT).map((r) => r.ncmessageId);
      statements.push(
        sqlStatement(
          this.dataSource,
          (p) =>
            `UPDATE ${t} SET "state" = 'charged', "voided_at" = NULL, "void_reason" = NULL, "updated_at" = ${p(updatedAt)} ` +
            `WHERE "ncmessage_id" IN (${p.list(ids)}) AND "state" = 'voided'`,
        ),
      );
    }
    return statements;
  }

  private async run(statements: SqlStatement[]): Promise<void> {
    if (statements.length) await runSqlStatements(this.dataSource, statements);
  }

  private table(): string {
    return `"${this.dataSource.getMetadata(NetcoreBillingRecord).tableName}"`;
  }
}
