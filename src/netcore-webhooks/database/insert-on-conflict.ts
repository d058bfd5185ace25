import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';
import { EntityInsert } from './entity-insert';
import type { SqlStatement } from './sql-steps';

const inserts = new WeakMap<DataSource, Map<unknown, Map<string, EntityInsert<ObjectLiteral>>>>();

/** Keyed by the caller's clause string as given (callers keep it in a constant, so its hash is cached). */
function entityInsert<T extends ObjectLiteral>(dataSource: DataSource, target: EntityTarget<T>, conflictClause: string): EntityInsert<T> {
  let byTarget = inserts.get(dataSource);
  if (!byTarget) inserts.set(dataSource, (byTarget = new Map()));
  let byClause = byTarget.get(target);
  if (!byClause) byTarget.set(target, (byClause = new Map()));
  let insert = byClause.get(conflictClause);
  if (!insert) {
    insert = new EntityInsert<ObjectLiteral>(dataSource, target as EntityTarget<ObjectLiteral>, ` ON CONFLICT ${conflictClause}`);
    byClause.set(conflictClause, insert);
  }
  return insert as unknown as EntityInsert<T>;
}

/**
 * INSERT ... ON CONFLICT <clause> (which may end in RETURNING), as the statements `EntityInsert` splits the rows
 * into: the same syntax on SQLite and PostgreSQL. TypeORM 1.x only generates
 * `col = EXCLUDED.col` updates, so the INSERT is built from TypeORM's metadata (column names, transformers,
 * every value a parameter) and the conflict clause, with its expressions, is appended.
 */
export function buildInsertOnConflict<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: readonly QueryDeepPartialEntity<T>[],
  conflictClause: string,
): SqlStatement[] {
  return entityInsert(manager.connection, target, conflictClause).statements(values);
}
