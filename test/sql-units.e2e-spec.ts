import { DataSource } from 'typeorm';
import { runSqlStatements, runSqlSteps } from '../src/netcore-webhooks/database/run-sql-steps';
import { sqlStatement } from '../src/netcore-webhooks/database/sql-statement';
import type { SqlStatement } from '../src/netcore-webhooks/database/sql-steps';
import { openDatabase } from './support/open-database';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';

// The units every write of the module runs through: each is all or nothing, on both drivers.
describe.each(DATABASES)('SQL units (%s)', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  const insert = (key: string): SqlStatement => sqlStatement(ds, (p) => `INSERT INTO "unit_probe" ("k") VALUES (${p(key)}) RETURNING "k"`);
  const keys = async () => (await ds.query('SELECT "k" FROM "unit_probe" ORDER BY "k"')).map((r: { k: string }) => r.k);

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await openDatabase(db);
    await ds.query('CREATE TABLE "unit_probe" ("k" varchar(8) PRIMARY KEY)');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(() => ds.query('DELETE FROM "unit_probe"'));

  it('answers the rows of each statement, in order', async () => {
    expect(await runSqlStatements(ds, [insert('a'), insert('b')])).toEqual([[{ k: 'a' }], [{ k: 'b' }]]);
    expect(await runSqlStatements(ds, [insert('c')])).toEqual([[{ k: 'c' }]]);
    expect(await runSqlStatements(ds, [])).toEqual([]);
    expect(await keys()).toEqual(['a', 'b', 'c']);
  });

  it('rolls back the statements before a failing one', async () => {
    // The second 'x' breaks the primary key: the first must not stay behind. (Matched by message: once another
    // suite of the same jest worker loaded better-sqlite3, its errors come from that suite's realm, not an Error here.)
    await expect(runSqlStatements(ds, [insert('x'), insert('y'), insert('x')])).rejects.toHaveProperty(
      'message',
      expect.stringMatching(/UNIQUE constraint failed|duplicate key value/),
    );
    expect(await keys()).toEqual([]);
  });

  it('rolls back a unit whose code throws between two statements', async () => {
    await expect(
      runSqlSteps(ds, function* () {
        yield insert('p');
        throw new Error('the unit gave up');
      }),
    ).rejects.toThrow('the unit gave up');
    expect(await keys()).toEqual([]);
  });

  if (kind === 'postgres') {
    it('runs a single statement without BEGIN/COMMIT, and several in one transaction', async () => {
      // now() is when the transaction began: the statement itself when it runs alone, the BEGIN before it otherwise.
      const alone = sqlStatement(ds, () => 'SELECT now() = statement_timestamp() AS "alone"');
      expect(await runSqlStatements(ds, [alone])).toEqual([[{ alone: true }]]);
      expect(await runSqlStatements(ds, [alone, alone])).toEqual([[{ alone: false }], [{ alone: false }]]);
    });
  }

  it('hands each statement the rows of the one before (a unit may decide on them)', async () => {
    const result = await runSqlSteps(ds, function* () {
      const [first] = yield insert('m');
      const [second] = yield insert(`${String(first.k)}2`);
      return second.k;
    });
    expect(result).toBe('m2');
    expect(await keys()).toEqual(['m', 'm2']);
  });
});
