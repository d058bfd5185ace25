import type { EntityManager, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';

/**
 * `insertOnConflict` that also answers `RETURNING <columns>` (SQLite 3.35+ and PostgreSQL): the rows
 * inserted or updated by this statement, raw (column names, bigint as string on PostgreSQL). With
 * DO NOTHING, an empty answer means the row was already there. Saves a read after the write.
 */
export async function insertOnConflictReturning<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>[],
  conflictClause: string,
  returning: string[],
): Promise<Record<string, unknown>[]> {
  const [sql, parameters] = manager
    .createQueryBuilder()
    .insert()
    .into(target)
    .values(values)
    .updateEntity(false)
    .getQueryAndParameters();
  if (/\bRETURNING\b/i.test(sql)) throw new Error(`insertOnConflictReturning: unexpected RETURNING in ${sql.slice(0, 200)}`);
  const columns = returning.map((c) => `"${c}"`).join(', ');
  return manager.query(`${sql} ON CONFLICT ${conflictClause} RETURNING ${columns}`, parameters);
}
