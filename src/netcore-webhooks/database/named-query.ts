import type { DataSource, EntityManager, ObjectLiteral } from 'typeorm';

/** Raw SQL with `:name` parameters on either driver, for what the query builder cannot say (INSERT ... SELECT ... ON CONFLICT). */
export function namedQuery<T = ObjectLiteral>(
  db: DataSource | EntityManager,
  sql: string,
  parameters: ObjectLiteral,
): Promise<T[]> {
  const driver = 'driver' in db ? db.driver : db.connection.driver;
  const [query, values] = driver.escapeQueryWithParameters(sql, parameters);
  return db.query(query, values);
}
