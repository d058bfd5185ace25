import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { NETCORE_WEBHOOKS_ENTITIES, netcoreWebhooksMigrations } from '../src';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

/** SQL TypeORM would still run to make the database match the entities: empty when the migrations are complete. */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

async function tablesPresent(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    const present: string[] = [];
    // One query at a time: a query runner holds a single connection.
    for (const { tableName } of dataSource.entityMetadatas) if (await runner.hasTable(tableName)) present.push(tableName);
    return present;
  } finally {
    await runner.release();
  }
}

describe.each(DATABASES)('migrations (%s)', (kind) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db.drop();
  });

  it('creates the schema of every entity, leaving no pending difference with the entity metadata', async () => {
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: true }).initialize();
    expect((await tablesPresent(dataSource)).sort()).toEqual(dataSource.entityMetadatas.map((m) => m.tableName).sort());
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false); // nothing left to run
  });

  it('reverts every migration down to an empty schema, and migrates up again to the same schema', async () => {
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: true }).initialize();
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration();
    expect(await tablesPresent(dataSource)).toEqual([]);
    await dataSource.runMigrations();
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('upgrades an inbox whose backlog index was built beforehand (CREATE INDEX CONCURRENTLY, as the README says)', async () => {
    const type = kind === 'sqlite' ? 'better-sqlite3' : 'postgres';
    const all = netcoreWebhooksMigrations(type);
    const before = all.slice(0, all.findIndex((m) => m.name.startsWith('BacklogIndex')));
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false, migrations: before }).initialize();
    await dataSource.runMigrations();
    const concurrently = kind === 'postgres' ? ' CONCURRENTLY' : '';
    await dataSource.query(
      `CREATE INDEX${concurrently} IF NOT EXISTS "idx_netcore_webhook_events_backlog" ON "netcore_webhook_events" ("created_at") WHERE "state" IN ('pending', 'failed')`,
    );
    await dataSource.destroy();
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false, migrations: all }).initialize();
    expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual(all.slice(before.length).map((m) => m.name));
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it("runs from a host's own migrations list next to the host's migrations", async () => {
    class HostCreatesOrders1800000000000 {
      name = 'HostCreatesOrders1800000000000';
      async up(runner: { query(sql: string): Promise<unknown> }) {
        await runner.query('CREATE TABLE host_orders (id integer PRIMARY KEY)');
      }
      async down(runner: { query(sql: string): Promise<unknown> }) {
        await runner.query('DROP TABLE host_orders');
      }
    }
    const type = kind === 'sqlite' ? 'better-sqlite3' : 'postgres';
    dataSource = await new DataSource({
      ...(db.options as DataSourceOptions),
      migrationsRun: false,
      migrations: [...netcoreWebhooksMigrations(type), HostCreatesOrders1800000000000],
    }).initialize();
    const executed = await dataSource.runMigrations();
    expect(executed.map((m) => m.name)).toEqual([...netcoreWebhooksMigrations(type).map((m) => m.name), 'HostCreatesOrders1800000000000']);
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('runs with the TypeORM CLI through ormconfig.ts (npm run migration:run)', async () => {
    const env = { ...process.env, DATABASE_URL: '', DATABASE_PATH: '' };
    if (db.options.type === 'postgres') env.DATABASE_URL = String(db.options.url);
    else env.DATABASE_PATH = String(db.options.database);
    const { stdout } = await run('npm', ['run', '--silent', 'migration:run'], { cwd: ROOT, env });
    expect(stdout).toMatch(/Migration NetcoreWebhooksInitial\w+ has been executed successfully/);
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false }).initialize();
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false);
  });
});

describe('migrations for a driver without a shipped set', () => {
  it('refuses with an error that names the driver and the way out', () => {
    expect(() => netcoreWebhooksMigrations('mysql')).toThrow(/no migrations ship for the TypeORM driver 'mysql'.*NETCORE_WEBHOOKS_ENTITIES/);
  });

  it('ships one set per driver covering the same entities', () => {
    expect(netcoreWebhooksMigrations('postgres').length).toBe(netcoreWebhooksMigrations('better-sqlite3').length);
    expect(NETCORE_WEBHOOKS_ENTITIES.length).toBeGreaterThan(0);
  });
});
