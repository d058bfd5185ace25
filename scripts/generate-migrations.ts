/**
 * Writes TypeORM migrations for both drivers from the entity metadata, so SQLite and PostgreSQL never drift apart.
 *
 *   npm run migration:initial            # rewrite the initial migrations (before the first release, or after
 *                                        # merging entity changes that were never released)
 *   npm run migration:generate -- Name   # add a migration with what changed since the existing ones
 *
 * PostgreSQL: needs a server whose role may CREATE DATABASE, from NETCORE_TEST_POSTGRES_URL or DATABASE_URL;
 * a throwaway database is created and dropped.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { NETCORE_WEBHOOKS_ENTITIES } from '../src';
import { netcoreWebhooksMigrations } from '../src/netcore-webhooks/migrations';
import { createScratchPostgresDatabase } from '../test/support/test-databases';

type Driver = 'postgres' | 'sqlite';

const logger = new Logger('Migrations');
const MIGRATIONS_DIR = resolve(__dirname, '../src/netcore-webhooks/migrations');
/** Fixed, so regenerating the initial migration rewrites the same file and class. */
const INITIAL_TIMESTAMP = 1764000000000;
const DRIVER_LABEL: Record<Driver, string> = { postgres: 'Postgres', sqlite: 'Sqlite' };

interface Scratch {
  options: DataSourceOptions;
  drop(): Promise<void>;
}

async function scratchDatabase(driver: Driver): Promise<Scratch> {
  const entities = [...NETCORE_WEBHOOKS_ENTITIES];
  if (driver === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'netcore-migrations-'));
    return {
      options: { type: 'better-sqlite3', database: join(dir, 'scratch.sqlite'), entities },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = process.env.NETCORE_TEST_POSTGRES_URL ?? process.env.DATABASE_URL;
  if (!adminUrl) {
    throw new Error('Set NETCORE_TEST_POSTGRES_URL (or DATABASE_URL) to a PostgreSQL server whose role can CREATE DATABASE.');
  }
  const scratch = await createScratchPostgresDatabase(adminUrl, 'nw_migrations');
  return { options: { type: 'postgres', url: scratch.url, entities }, drop: scratch.drop };
}

const escapeTemplate = (sql: string) => sql.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');

function statement(query: { query: string; parameters?: unknown[] }): string {
  // TypeORM names the default schema in DROP INDEX; leaving it out keeps the migration working in the host's schema.
  const sql = query.query.replaceAll('"public".', '');
  const params = query.parameters?.length ? `, ${JSON.stringify(query.parameters)}` : '';
  return `    await queryRunner.query(\`${escapeTemplate(sql)}\`${params});`;
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Queries that bring a database migrated with the existing migrations (none for `initial`) to the entities. */
async function schemaDiff(driver: Driver, initial: boolean) {
  const scratch = await scratchDatabase(driver);
  const dataSource = new DataSource({
    ...scratch.options,
    migrations: initial ? [] : netcoreWebhooksMigrations(driver === 'sqlite' ? 'better-sqlite3' : 'postgres'),
    logging: false,
  });
  try {
    await dataSource.initialize();
    if (!initial) await dataSource.runMigrations();
    return await dataSource.driver.createSchemaBuilder().log();
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await scratch.drop();
  }
}

function writeIndex(driver: Driver): void {
  const dir = join(MIGRATIONS_DIR, driver);
  const files = readdirSync(dir)
    .filter((f) => /^\d{13}-.+\.ts$/.test(f))
    .sort();
  const classes = files.map((f) => {
    const match = /export class (\w+)/.exec(readFileSync(join(dir, f), 'utf8'));
    if (!match) throw new Error(`${driver}/${f} does not export a migration class`);
    return { file: f.replace(/\.ts$/, ''), name: match[1] };
  });
  const constant = `NETCORE_WEBHOOKS_MIGRATIONS_${driver.toUpperCase()}`;
  writeFileSync(
    join(dir, 'index.ts'),
    [
      '// Written by scripts/generate-migrations.ts: lists every migration of this folder in order.',
      ...classes.map((c) => `import { ${c.name} } from './${c.file}';`),
      '',
      `/** The ${DRIVER_LABEL[driver]} migrations of netcore-webhooks, oldest first. */`,
      `export const ${constant} = [${classes.map((c) => c.name).join(', ')}];`,
      '',
    ].join('\n'),
  );
}

async function generate(driver: Driver, baseName: string, initial: boolean): Promise<void> {
  const dir = join(MIGRATIONS_DIR, driver);
  const sql = await schemaDiff(driver, initial);
  if (!sql.upQueries.length) {
    logger.log(`${driver}: the migrations already match the entities; nothing written`);
    return;
  }
  if (initial) {
    for (const f of readdirSync(dir)) if (/^\d{13}-.+\.ts$/.test(f)) rmSync(join(dir, f));
  }
  const timestamp = initial ? INITIAL_TIMESTAMP : Date.now();
  const className = `${baseName}${DRIVER_LABEL[driver]}${timestamp}`;
  const file = `${timestamp}-${kebab(baseName)}.ts`;
  writeFileSync(
    join(dir, file),
    [
      "import type { MigrationInterface, QueryRunner } from 'typeorm';",
      '',
      `/** Generated from the entity metadata by \`npm run ${initial ? 'migration:initial' : 'migration:generate'}\` (${driver}). */`,
      `export class ${className} implements MigrationInterface {`,
      `  name = '${className}';`,
      '',
      '  async up(queryRunner: QueryRunner): Promise<void> {',
      ...sql.upQueries.map(statement),
      '  }',
      '',
      '  async down(queryRunner: QueryRunner): Promise<void> {',
      ...[...sql.downQueries].reverse().map(statement),
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  writeIndex(driver);
  logger.log(`${driver}: wrote ${driver}/${file} (${sql.upQueries.length} statements)`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const initial = args.includes('--initial');
  const name = initial ? 'NetcoreWebhooksInitial' : args.find((a) => !a.startsWith('-'));
  if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw new Error('Usage: npm run migration:generate -- AddSomething   (a PascalCase name), or npm run migration:initial');
  }
  for (const driver of ['sqlite', 'postgres'] as const) await generate(driver, name, initial);
}

main().catch((error: unknown) => {
  logger.error((error as Error).message ?? String(error));
  process.exitCode = 1;
});
