import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type ObjectLiteral } from 'typeorm';

/** Rows per multi-row statement: well under either driver's limit on bound parameters. */
export const ROWS_PER_STATEMENT = 500;

/**
 * The module's writes. Each unit runs in one `dataSource.transaction`. SQLite has one writer and TypeORM shares
 * one better-sqlite3 connection between all callers, so two transactions begun at once would interleave on it:
 * there, units run one at a time through a write queue.
 */
@Injectable()
export class NetcoreDatabase {
  private queue: Promise<unknown> = Promise.resolve();
  readonly postgres: boolean;

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  /** Runs `work` in a transaction (queued behind the other writes on SQLite) and answers its result. */
  write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.postgres) return this.dataSource.transaction(work);
    const run = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = run.catch(() => undefined);
    return run;
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
 * INSERT ... ON CONFLICT `clause` (which may end in RETURNING): TypeORM builds the INSERT from the entity's
 * metadata (names, transformers, parameters), the clause is ours because TypeORM's `orUpdate` only writes
 * `column = EXCLUDED.column`, and our upserts need commutative expressions. Same syntax on both databases.
 */
export async function upsert<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: new () => T,
  rows: readonly Partial<T>[],
  clause: string,
): Promise<ObjectLiteral[]> {
  const returned: ObjectLiteral[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const [insert, parameters] = manager
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(rows.slice(i, i + ROWS_PER_STATEMENT) as never)
      .updateEntity(false)
      .getQueryAndParameters();
    returned.push(...(await sql(manager, `${insert} ON CONFLICT ${clause}`, parameters)));
  }
  return returned;
}
