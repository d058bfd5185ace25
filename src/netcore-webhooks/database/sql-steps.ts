/** One SQL statement with its positional parameters (placeholders in the driver's own style). */
export interface SqlStatement {
  sql: string;
  parameters: unknown[];
}

/** Rows a statement returned (`RETURNING`, `SELECT`); empty for statements that return none. */
export type SqlRows = Record<string, unknown>[];

/**
 * A unit of database work written once for every driver: it yields statements and receives their rows.
 * `runSqlSteps` runs it synchronously on better-sqlite3 and asynchronously elsewhere, in one transaction.
 */
export type SqlSteps<T> = Generator<SqlStatement, T, SqlRows>;
