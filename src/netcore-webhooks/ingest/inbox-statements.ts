import type { DataSource } from 'typeorm';
import { EntityInsert } from '../database/entity-insert';
import type { SqlStatement } from '../database/sql-steps';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';

/**
 * SQL of the inbox hot path: one multi-row INSERT ... ON CONFLICT per batch (PostgreSQL, and SQLite since
 * 3.35). A new key is inserted; a key already stored only has its duplicate counter raised. RETURNING "id"
 * answers the inserted rows' own ids and, for keys already stored, the stored row's id, which is never one of
 * the ids just proposed: so the statement alone tells which rows it inserted, without reading anything back.
 */
export class InboxStatements {
  private readonly inserts: EntityInsert<NetcoreWebhookEvent>;

  constructor(dataSource: DataSource) {
    const metadata = dataSource.getMetadata(NetcoreWebhookEvent);
    const driver = dataSource.driver;
    const name = (property: keyof NetcoreWebhookEvent) => driver.escape(metadata.findColumnWithPropertyName(property)!.databaseName);
    const table = metadata.schema ? `${driver.escape(metadata.schema)}.${driver.escape(metadata.tableName)}` : driver.escape(metadata.tableName);
    const duplicates = name('duplicates');
    // A row's `duplicates` holds the repeats that came with it; a stored key counts those plus this arrival.
    this.inserts = new EntityInsert(
      dataSource,
      NetcoreWebhookEvent,
      ` ON CONFLICT (${name('idempotencyKey')}) DO UPDATE SET ${duplicates} = ${table}.${duplicates} + EXCLUDED.${duplicates} + 1 ` +
        `RETURNING ${name('id')} AS "id"`,
    );
  }

  /** Stores rows whose key is new and counts the others as duplicates; each statement returns the ids it touched. */
  insert(rows: NetcoreWebhookEvent[]): SqlStatement[] {
    return this.inserts.statements(rows);
  }
}
