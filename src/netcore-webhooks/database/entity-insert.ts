import type { DataSource, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { SqlStatement } from './sql-steps';

const SQL_CACHE = 128;
/** SQLite: row counts are powers of two up to this, so a few prepared statements serve every batch size. */
const SQLITE_ROWS_PER_INSERT = 256;
/** PostgreSQL: one array per column, so the statement text is the same whatever the row count. */
const POSTGRES_ROWS_PER_INSERT = 5000;

/**
 * A multi-row INSERT for an entity with every value bound as a parameter, followed by `suffix`
 * (`ON CONFLICT ...`, `RETURNING ...`). Columns, names and transformers come from TypeORM's metadata, values
 * are converted by the driver as TypeORM would (`preparePersistentValue`). Columns no row sets are left out,
 * so their database default applies.
 *
 * Why not TypeORM's InsertQueryBuilder: on SQLite it writes numbers into the SQL text, and our instants are
 * numbers (epoch ms), so each statement was new SQL to compile. Here the text depends only on the columns
 * given and, on SQLite, on a power-of-two row count, so prepared statements are reused; on PostgreSQL rows
 * go as one array per column (`INSERT ... SELECT * FROM unnest(...)`): a short statement to parse and plan
 * instead of a VALUES list with thousands of parameters.
 */
export class EntityInsert<T extends ObjectLiteral> {
  private readonly table: string;
  private readonly columns: ColumnMetadata[];
  private readonly plain: Set<ColumnMetadata>;
  private readonly postgres: boolean;
  private readonly sql = new Map<string, string>();

  constructor(
    private readonly dataSource: DataSource,
    target: EntityTarget<T>,
    private readonly suffix = '',
  ) {
    const metadata = dataSource.getMetadata(target);
    const driver = dataSource.driver;
    this.table = metadata.schema ? `${driver.escape(metadata.schema)}.${driver.escape(metadata.tableName)}` : driver.escape(metadata.tableName);
    this.columns = metadata.columns.filter((c) => !c.isVirtual);
    this.plain = new Set(this.columns.filter((c) => !c.embeddedMetadata && !c.relationMetadata && !c.referencedColumn));
    this.postgres = dataSource.options.type === 'postgres';
  }

  /** The statements that insert `rows`, in order (one on PostgreSQL up to 5,000 rows). */
  statements(rows: readonly QueryDeepPartialEntity<T>[]): SqlStatement[] {
    const out: SqlStatement[] = [];
    let i = 0;
    while (i < rows.length) {
      const left = rows.length - i;
      let size = this.postgres ? Math.min(left, POSTGRES_ROWS_PER_INSERT) : SQLITE_ROWS_PER_INSERT;
      while (size > left) size >>= 1;
      const chunk = rows.slice(i, i + size);
      out.push(this.postgres ? this.unnest(chunk) : this.values(chunk));
      i += size;
    }
    return out;
  }

  private used(rows: readonly QueryDeepPartialEntity<T>[]): ColumnMetadata[] {
    return this.columns.filter((column) => rows.some((row) => this.read(row, column) !== undefined));
  }

  /** A plain column is a property of the row; TypeORM's getter (embeddeds, relations) only when needed. */
  private read(row: QueryDeepPartialEntity<T>, column: ColumnMetadata): unknown {
    return this.plain.has(column) ? (row as Record<string, unknown>)[column.propertyName] : column.getEntityValue(row);
  }

  private value(row: QueryDeepPartialEntity<T>, column: ColumnMetadata): unknown {
    let value = this.read(row, column);
    if (value === undefined) value = typeof column.default === 'function' ? null : (column.default ?? null);
    return value === null ? null : this.dataSource.driver.preparePersistentValue(value, column);
  }

  private unnest(rows: readonly QueryDeepPartialEntity<T>[]): SqlStatement {
    const driver = this.dataSource.driver;
    const used = this.used(rows);
    const key = used.map((c) => c.databaseName).join(',');
    let sql = this.sql.get(key);
    if (!sql) {
      const arrays = used.map((c, i) => `$${i + 1}::${driver.normalizeType(c)}[]`).join(', ');
      sql = `INSERT INTO ${this.table} (${used.map((c) => driver.escape(c.databaseName)).join(', ')}) SELECT * FROM unnest(${arrays})${this.suffix}`;
      if (this.sql.size < SQL_CACHE) this.sql.set(key, sql);
    }
    return { sql, parameters: used.map((column) => rows.map((row) => this.value(row, column))) };
  }

  private values(rows: readonly QueryDeepPartialEntity<T>[]): SqlStatement {
    const used = this.used(rows);
    const parameters: unknown[] = [];
    for (const row of rows) for (const column of used) parameters.push(this.value(row, column));
    const key = `${rows.length}|${used.map((c) => c.databaseName).join(',')}`;
    let sql = this.sql.get(key);
    if (!sql) {
      const driver = this.dataSource.driver;
      const names = used.map((c) => driver.escape(c.databaseName)).join(', ');
      let index = 0;
      const tuple = () => `(${used.map(() => driver.createParameter(`p${index}`, index++)).join(', ')})`;
      sql = `INSERT INTO ${this.table} (${names}) VALUES ${rows.map(tuple).join(', ')}${this.suffix}`;
      if (this.sql.size < SQL_CACHE) this.sql.set(key, sql);
    }
    return { sql, parameters };
  }
}
