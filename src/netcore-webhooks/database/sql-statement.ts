import type { DataSource } from 'typeorm';
import type { SqlStatement } from './sql-steps';

/** Keys per `IN (...)` list or `VALUES` list: well under either driver's limit on bound parameters. */
export const MAX_KEYS_PER_STATEMENT = 500;

/** Binds one value and answers its placeholder; `list` binds several, comma-separated (for `IN (...)`). */
export interface Bind {
  (value: unknown): string;
  list(values: readonly unknown[]): string;
}

/**
 * A statement for `runSqlSteps` with every value bound in the driver's placeholder style (`$1` / `?`), written
 * as `statement(ds, (p) => \`... WHERE "id" = ${p(id)}\`)`. Unlike TypeORM's named parameters on SQLite, numbers
 * are bound too, so the text (and its prepared statement) does not change with the values.
 */
export function sqlStatement(dataSource: DataSource, build: (p: Bind) => string): SqlStatement {
  const parameters: unknown[] = [];
  const bind = ((value: unknown) => {
    parameters.push(value);
    return dataSource.driver.createParameter(`p${parameters.length - 1}`, parameters.length - 1);
  }) as Bind;
  bind.list = (values) => values.map(bind).join(', ');
  return { sql: build(bind), parameters };
}
