import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { EntityInsert } from '../database/entity-insert';
import type { SqlStatement } from '../database/sql-steps';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';

/** PostgreSQL: one array per column, so the statement is the same whatever the row count. */
const POSTGRES_ROWS_PER_INSERT = 2000;
/** SQLite: row counts are powers of two up to this, so a few prepared statements serve every batch size. */
const SQLITE_ROWS_PER_INSERT = 256;
const KEYS_PER_UPDATE = 500;

/**
 * SQL of the inbox hot path: a multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING "id" (PostgreSQL, and
 * SQLite since 3.35) tells which rows this statement inserted, without reading them back.
 */
export class InboxStatements {
  private readonly table: string;
  private readonly key: string;
  private readonly duplicates: string;
  private readonly id: string;
  private readonly sqlite: boolean;
  private readonly inserts: EntityInsert<NetcoreWebhookEvent>;
  private readonly postgres?: { columns: ColumnMetadata[]; sql: Map<string, string> };

  constructor(private readonly dataSource: DataSource) {
    const metadata = dataSource.getMetadata(NetcoreWebhookEvent);
    const driver = dataSource.driver;
    const name = (property: keyof NetcoreWebhookEvent) => driver.escape(metadata.findColumnWithPropertyName(property)!.databaseName);
    this.table = metadata.schema ? `${driver.escape(metadata.schema)}.${driver.escape(metadata.tableName)}` : driver.escape(metadata.tableName);
    this.key = name('idempotencyKey');
    this.duplicates = name('duplicates');
    this.id = name('id');
    this.inserts = new EntityInsert(dataSource, NetcoreWebhookEvent, ` ON CONFLICT (${this.key}) DO NOTHING RETURNING ${name('id')} AS "id"`);
    this.sqlite = dataSource.options.type === 'better-sqlite3';
    if (dataSource.options.type === 'postgres') this.postgres = { columns: metadata.columns.filter((c) => !c.isVirtual), sql: new Map() };
  }

  /** Splits rows into the sizes `insert` is called with. */
  chunks<T>(rows: T[]): T[][] {
    const out: T[][] = [];
    let i = 0;
    while (i < rows.length) {
      const left = rows.length - i;
      let size = this.sqlite ? SQLITE_ROWS_PER_INSERT : Math.min(left, POSTGRES_ROWS_PER_INSERT);
      while (size > left) size >>= 1;
      out.push(rows.slice(i, i + size));
      i += size;
    }
    return out;
  }

  /** Inserts rows whose key is new; returns the ids of the rows inserted. */
  insert(rows: NetcoreWebhookEvent[]): SqlStatement {
    return this.postgres ? this.unnestInsert(rows) : this.inserts.statement(rows);
  }

  /**
   * PostgreSQL: INSERT ... SELECT FROM unnest(one array per column): a short statement to parse and plan,
   * the same for every row count, instead of a VALUES list with thousands of parameters. Columns no row sets
   * are left out, so their database default applies.
   */
  private unnestInsert(rows: NetcoreWebhookEvent[]): SqlStatement {
    const driver = this.dataSource.driver;
    const used = this.postgres!.columns.filter((c) => rows.some((row) => c.getEntityValue(row) !== undefined));
    const mask = used.map((c) => c.databaseName).join(',');
    let sql = this.postgres!.sql.get(mask);
    if (!sql) {
      const arrays = used.map((c, i) => `$${i + 1}::${driver.normalizeType(c)}[]`).join(', ');
      sql =
        `INSERT INTO ${this.table} (${used.map((c) => driver.escape(c.databaseName)).join(', ')}) ` +
        `SELECT * FROM unnest(${arrays}) ON CONFLICT (${this.key}) DO NOTHING RETURNING ${this.id} AS "id"`;
      this.postgres!.sql.set(mask, sql);
    }
    const parameters = used.map((column) =>
      rows.map((row) => {
        const value = column.getEntityValue(row);
        return value === undefined || value === null ? null : driver.preparePersistentValue(value, column);
      }),
    );
    return { sql, parameters };
  }

  /** Counts `by` more arrivals on the rows with these keys (events already stored). */
  *incrementDuplicates(by: number, keys: string[]): Generator<SqlStatement> {
    for (let i = 0; i < keys.length; i += KEYS_PER_UPDATE) {
      const chunk = keys.slice(i, i + KEYS_PER_UPDATE);
      const list = chunk.map((_, j) => this.parameter(j + 1)).join(', ');
      yield {
        sql: `UPDATE ${this.table} SET ${this.duplicates} = ${this.duplicates} + ${this.parameter(0)} WHERE ${this.key} IN (${list})`,
        parameters: [by, ...chunk],
      };
    }
  }

  private parameter(index: number): string {
    return this.dataSource.driver.createParameter(`p${index}`, index);
  }
}
