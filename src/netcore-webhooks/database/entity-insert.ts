import type { DataSource, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { SqlStatement } from './sql-steps';

const SQL_CACHE = 128;

/**
 * A multi-row INSERT for an entity with every value bound as a parameter, followed by `suffix`
 * (`ON CONFLICT ...`, `RETURNING ...`). Columns, names and transformers come from TypeORM's metadata, values
 * are converted by the driver as TypeORM would (`preparePersistentValue`).
 *
 * Why not TypeORM's InsertQueryBuilder: on SQLite it writes numbers into the SQL text, and our instants are
 * numbers (epoch ms), so each statement was new SQL to compile; here the text depends only on the row count
 * and the columns given, and the prepared statement is reused.
 */
export class EntityInsert<T extends ObjectLiteral> {
  private readonly table: string;
  private readonly columns: ColumnMetadata[];
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
  }

  /** Columns that no row sets are left out, so the database default applies. */
  statement(rows: QueryDeepPartialEntity<T>[]): SqlStatement {
    const driver = this.dataSource.driver;
    const used: ColumnMetadata[] = [];
    let mask = '';
    for (const column of this.columns) {
      const given = rows.some((row) => column.getEntityValue(row) !== undefined);
      mask += given ? '1' : '0';
      if (given) used.push(column);
    }
    const parameters: unknown[] = [];
    const tuples: string[] = [];
    let inline = false;
    for (const row of rows) {
      const values: string[] = [];
      for (const column of used) {
        let value = column.getEntityValue(row);
        if (typeof value === 'function') {
          // A raw SQL expression, as TypeORM accepts in values: part of the text.
          values.push(String((value as () => string)()));
          inline = true;
          continue;
        }
        if (value === undefined) value = typeof column.default === 'function' ? null : (column.default ?? null);
        parameters.push(value === null ? null : driver.preparePersistentValue(value, column));
        values.push(driver.createParameter(`p${parameters.length - 1}`, parameters.length - 1));
      }
      tuples.push(`(${values.join(', ')})`);
    }
    const key = `${rows.length}|${mask}`;
    let sql = inline ? undefined : this.sql.get(key);
    if (!sql) {
      const names = used.map((c) => driver.escape(c.databaseName)).join(', ');
      sql = `INSERT INTO ${this.table} (${names}) VALUES ${tuples.join(', ')}${this.suffix}`;
      if (!inline && this.sql.size < SQL_CACHE) this.sql.set(key, sql);
    }
    return { sql, parameters };
  }
}
