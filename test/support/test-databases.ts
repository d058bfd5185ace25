import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { NETCORE_WEBHOOKS_ENTITIES, netcoreWebhooksMigrations } from '../../src';

export type DatabaseKind = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL when NETCORE_TEST_POSTGRES_URL points at a server (CI sets it). */
export const DATABASES: DatabaseKind[] = process.env.NETCORE_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  kind: DatabaseKind;
  /** TypeORM options for the host app's `TypeOrmModule.forRoot()`. */
  options: TypeOrmModuleOptions;
  drop(): Promise<void>;
}

/** A fresh, empty database: an SQLite file in WAL mode, or a new PostgreSQL database. Its schema comes from the migrations. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const common = {
    entities: NETCORE_WEBHOOKS_ENTITIES,
    migrations: netcoreWebhooksMigrations(kind === 'sqlite' ? 'better-sqlite3' : 'postgres'),
    migrationsRun: true,
    logging: false,
  } as const;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'netcore-webhooks-'));
    return {
      kind,
      // timeout: a second connection (a test reading what a host app wrote) waits for the writer.
      options: { ...common, type: 'better-sqlite3', database: join(dir, 'test.sqlite'), enableWAL: true, timeout: 5000 },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const scratch = await createScratchPostgresDatabase(process.env.NETCORE_TEST_POSTGRES_URL!, 'nw');
  return { kind, options: { ...common, type: 'postgres', url: scratch.url }, drop: scratch.drop };
}

/** A new, empty PostgreSQL database on the server of `adminUrl` (whose role may CREATE DATABASE), and its drop. */
export async function createScratchPostgresDatabase(adminUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        // An autovacuum worker (a superuser backend) on the database makes FORCE fail for a non-superuser; it soon ends.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (error) {
            if (attempt >= 20 || !/pg_signal_backend/.test(String((error as Error).message))) throw error;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}
