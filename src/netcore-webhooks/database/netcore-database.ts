import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** Rows per multi-row statement: well under either driver's limit on bound parameters. */
export const ROWS_PER_STATEMENT = 500;

const MAX_TRANSACTION_ATTEMPTS = 3;

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction did nothing and may run again. */
function isLockConflict(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return code === '40P01' || code === '40001';
}

/** `items` in slices of `size`, for statements with one parameter per item. */
export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The module's writes. Each unit runs in one `dataSource.transaction`. SQLite has one writer and TypeORM shares
 * one better-sqlite3 connection between all callers, so two transactions begun at once would interleave on it
 * (the second becomes a savepoint of the first): there, units run one at a time through a queue, and so does
 * host code that may write to the same database (listeners, a billing sink).
 */
@Injectable()
export class NetcoreDatabase {
  private queue: Promise<unknown> = Promise.resolve();
  /** Set while a unit holds the queue, so a write it makes (a listener calling a module service) runs at once. */
  private readonly holding = new AsyncLocalStorage<true>();
  readonly postgres: boolean;

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  /**
   * Runs `work` in a transaction (queued behind the other writes on SQLite) and answers its result. PostgreSQL may
   * end one of two transactions that lock rows in different orders (a webhook's duplicates and a worker's
   * claimed rows): such a transaction is run again, as PostgreSQL advises, since every unit here can be.
   */
  async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.alone(() => this.dataSource.transaction(work));
      } catch (error) {
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isLockConflict(error)) throw error;
      }
    }
  }

  /** Runs `work` alone on SQLite's connection: nothing of the module's writes in the middle of the host's. */
  alone<T>(work: () => Promise<T>): Promise<T> {
    if (this.postgres || this.holding.getStore()) return work();
    const run = this.queue.then(() => this.holding.run(true, work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `work` as if outside any unit holding the queue: a loop or timer started from a listener must queue its
   * writes, not slip them into the listener's turn.
   */
  detached<T>(work: () => T): T {
    return this.holding.exit(work);
  }

  /** The quoted table name of an entity, for the few statements written as SQL. */
  table(entity: Function): string {
    return `"${this.dataSource.getMetadata(entity).tableName}"`;
  }
}

/** Runs one SQL statement in `manager`'s transaction and answers the rows it returned (RETURNING, SELECT). */
export async function sql(manager: EntityManager, text: string, parameters: unknown[] = []): Promise<ObjectLiteral[]> {
  const runner = manager.queryRunner!;
  const result = await runner.query(text, parameters, true);
  return result.records ?? [];
}

/**
 * INSERT ... ON CONFLICT `clause` (which may end in RETURNING), the same syntax on both databases, or a plain
 * INSERT without a clause. The clause is ours because TypeORM's `orUpdate` only writes `column = EXCLUDED.column`
 * and our upserts need commutative expressions. The INSERT is built from TypeORM's metadata (names, transformers,
 * the driver's conversions) rather than by its InsertQueryBuilder, whose parameter handling grows with the square
 * of the values: it was half of the CPU of processing a backlog. Every value is bound, so the text and its prepared statement repeat;
 * PostgreSQL gets one array per column (`unnest`) instead of thousands of parameters.
 */
export async function upsert<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: new () => T,
  rows: readonly Partial<T>[],
  clause?: string,
): Promise<ObjectLiteral[]> {
  if (!rows.length) return [];
  const { driver } = manager.connection;
  const metadata = manager.connection.getMetadata(entity);
  const columns = metadata.columns.filter((c) => rows.some((row) => row[c.propertyName as keyof T] !== undefined));
  const names = columns.map((c) => driver.escape(c.databaseName)).join(', ');
  const table = driver.escape(metadata.tableName);
  const value = (row: Partial<T>, column: ColumnMetadata) => {
    const v = row[column.propertyName as keyof T];
    return v == null ? null : driver.preparePersistentValue(v, column);
  };
  const returned: ObjectLiteral[] = [];
  for (const chunk of chunks(rows)) {
    let text: string;
    let parameters: unknown[];
    if (manager.connection.options.type === 'postgres') {
      // One array per column: a short statement to parse and plan, whatever the number of rows.
      parameters = columns.map((column) => chunk.map((row) => value(row, column)));
      const arrays = columns.map((column, i) => `$${i + 1}::${driver.normalizeType(column)}[]`).join(', ');
      text = `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})`;
    } else {
      parameters = chunk.flatMap((row) => columns.map((column) => value(row, column)));
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      text = `INSERT INTO ${table} (${names}) VALUES ${chunk.map(() => tuple).join(', ')}`;
    }
    returned.push(...(await sql(manager, clause ? `${text} ON CONFLICT ${clause}` : text, parameters)));
  }
  return returned;
}
