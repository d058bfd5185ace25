import type { EntityManager, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';

/**
 * INSERT ... ON CONFLICT <clause>: the same syntax on SQLite and PostgreSQL. TypeORM 1.x only generates
 * `col = EXCLUDED.col` updates, so TypeORM builds the INSERT (column names, transformers, parameters)
 * and the conflict clause, with its expressions, is appended.
 */
export async function insertOnConflict<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>[],
  conflictClause: string,
): Promise<void> {
  const [sql, parameters] = manager
    .createQueryBuilder()
    .insert()
    .into(target)
    .values(values)
    .updateEntity(false)
    .getQueryAndParameters();
  if (/\bRETURNING\b/i.test(sql)) throw new Error(`insertOnConflict: unexpected RETURNING in ${sql.slice(0, 200)}`);
  await manager.query(`${sql} ON CONFLICT ${conflictClause}`, parameters);
}
