import type { DataSource } from 'typeorm';
import { EntityInsert } from '../database/entity-insert';
import { MAX_KEYS_PER_STATEMENT, sqlStatement } from '../database/sql-statement';
import type { SqlStatement } from '../database/sql-steps';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';

/**
 * SQL of the inbox hot path: a multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING "id" (PostgreSQL, and
 * SQLite since 3.35) tells which rows this statement inserted, without reading them back.
 */
export class InboxStatements {
  private readonly table: string;
  private readonly key: string;
  private readonly duplicates: string;
  private readonly inserts: EntityInsert<NetcoreWebhookEvent>;

  constructor(private readonly dataSource: DataSource) {
    const metadata = dataSource.getMetadata(NetcoreWebhookEvent);
    const driver = dataSource.driver;
    const name = (property: keyof NetcoreWebhookEvent) => driver.escape(metadata.findColumnWithPropertyName(property)!.databaseName);
    this.table = metadata.schema ? `${driver.escape(metadata.schema)}.${driver.escape(metadata.tableName)}` : driver.escape(metadata.tableName);
    this.key = name('idempotencyKey');
    this.duplicates = name('duplicates');
    this.inserts = new EntityInsert(dataSource, NetcoreWebhookEvent, ` ON CONFLICT (${this.key}) DO NOTHING RETURNING ${name('id')} AS "id"`);
  }

  /** Inserts rows whose key is new; each statement returns the ids of the rows it inserted. */
  insert(rows: NetcoreWebhookEvent[]): SqlStatement[] {
    return this.inserts.statements(rows);
  }

  /** Counts `by` more arrivals on the rows with these keys (events already stored). */
  *incrementDuplicates(by: number, keys: string[]): Generator<SqlStatement> {
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_STATEMENT) {
      const chunk = keys.slice(i, i + MAX_KEYS_PER_STATEMENT);
      yield sqlStatement(
        this.dataSource,
        (p) => `UPDATE ${this.table} SET ${this.duplicates} = ${this.duplicates} + ${p(by)} WHERE ${this.key} IN (${p.list(chunk)})`,
      );
    }
  }
}
