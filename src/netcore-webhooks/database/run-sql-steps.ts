import type { DataSource } from 'typeorm';
import type { SqlRows, SqlStatement, SqlSteps } from './sql-steps';

/** The part of a better-sqlite3 `Database` used here. */
interface SqliteHandle {
  inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
}
interface SqliteStatement {
  reader: boolean;
  all(...parameters: unknown[]): SqlRows;
  run(...parameters: unknown[]): unknown;
}

const STATEMENT_CACHE = 64;
const statementCaches = new WeakMap<SqliteHandle, Map<string, SqliteStatement>>();
/** `db.transaction()` prepares BEGIN/COMMIT/ROLLBACK each time it is called: made once per connection. */
const transactions = new WeakMap<SqliteHandle, <T>(unit: () => T) => T>();

function inSqliteTransaction<T>(db: SqliteHandle, unit: () => T): T {
  let transaction = transactions.get(db);
  if (!transaction) {
    transaction = db.transaction(<U>(run: () => U) => run()) as unknown as <U>(run: () => U) => U;
    transactions.set(db, transaction);
  }
  return transaction(unit);
}

function sqliteHandle(dataSource: DataSource): SqliteHandle | undefined {
  if (dataSource.options.type !== 'better-sqlite3') return undefined;
  return (dataSource.driver as unknown as { databaseConnection?: SqliteHandle }).databaseConnection;
}

function prepared(db: SqliteHandle, sql: string): SqliteStatement {
  let cache = statementCaches.get(db);
  if (!cache) statementCaches.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

function runSqlite(db: SqliteHandle, { sql, parameters }: SqlStatement): SqlRows {
  const statement = prepared(db, sql);
  // better-sqlite3 binds no booleans; TypeORM's own runner converts them the same way.
  const values = parameters.some((p) => typeof p === 'boolean') ? parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p)) : parameters;
  if (statement.reader) return statement.all(...values);
  statement.run(...values);
  return [];
}

/** Resolves once no transaction is open on the shared better-sqlite3 connection. */
async function sqliteIdle(db: SqliteHandle): Promise<void> {
  while (db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `steps` in one transaction and returns its result; any error rolls the whole unit back. A unit that
 * yields no statement opens no connection.
 *
 * better-sqlite3: TypeORM shares one connection between every caller, and an `await` inside a transaction
 * lets other code's statements join it. So the unit runs synchronously (no await between BEGIN and COMMIT),
 * and only when no other transaction is open, which makes its COMMIT a real one.
 */
export async function runSqlSteps<T>(dataSource: DataSource, steps: () => SqlSteps<T>): Promise<T> {
  const db = sqliteHandle(dataSource);
  if (db) {
    await sqliteIdle(db);
    return inSqliteTransaction(db, () => {
      const unit = steps();
      let next = unit.next();
      while (!next.done) next = unit.next(runSqlite(db, next.value));
      return next.value;
    });
  }
  const unit = steps();
  let next = unit.next();
  if (next.done) return next.value;
  const runner = dataSource.createQueryRunner('master');
  try {
    await runner.connect();
    await runner.startTransaction();
    try {
      while (!next.done) {
        const result = await runner.query(next.value.sql, next.value.parameters, true);
        next = unit.next((result.records ?? []) as SqlRows);
      }
      await runner.commitTransaction();
      return next.value;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}

/**
 * Runs fixed statements in one transaction (see `runSqlSteps`); answers each one's rows. A single statement
 * runs on PostgreSQL without BEGIN/COMMIT (one statement is atomic on its own): one round trip instead of
 * three. Decided from the whole list, so no unit can run a statement alone and then add another.
 */
export async function runSqlStatements(dataSource: DataSource, statements: readonly SqlStatement[]): Promise<SqlRows[]> {
  if (statements.length === 1 && !sqliteHandle(dataSource)) {
    const runner = dataSource.createQueryRunner('master');
    try {
      await runner.connect();
      const result = await runner.query(statements[0].sql, statements[0].parameters, true);
      return [(result.records ?? []) as SqlRows];
    } finally {
      await runner.release();
    }
  }
  return runSqlSteps(dataSource, function* () {
    const results: SqlRows[] = [];
    for (const statement of statements) results.push(yield statement);
    return results;
  });
}
