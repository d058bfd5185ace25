import type { DataSource, EntityManager, ObjectLiteral } from 'typeorm';

/**
 * Runs raw SQL with `:name` parameters on either driver (`$1` for PostgreSQL, `?` for SQLite), for the
 * statements the query builder cannot express (INSERT ... SELECT ... ON CONFLICT, LIMIT/OFFSET on a join).
 */
export function namedQuery<T = ObjectLiteral>(
  db: DataSource | EntityManager,
  sql: string,
  parameters: ObjectLiteral,
): Promise<T[]> {
  const driver = 'driver' in db ? db.driver : db.connection.driver;
  const [query, values] = driver.escapeQueryWithParameters(sql, parameters);
  return db.query(query, values);
}
