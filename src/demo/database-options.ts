import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { NETCORE_WEBHOOKS_ENTITIES, netcoreWebhooksMigrations } from '../index';

/**
 * The demo app's database, from the environment: PostgreSQL when DATABASE_URL is set, else an SQLite file.
 * The schema comes from the module's migrations (run at start-up), never from `synchronize`.
 * Shared by the demo app and `ormconfig.ts` (TypeORM CLI).
 */
export function demoDataSourceOptions(env: NodeJS.ProcessEnv = process.env): DataSourceOptions {
  const entities = [...NETCORE_WEBHOOKS_ENTITIES];
  if (env.DATABASE_URL) {
    return { type: 'postgres', url: env.DATABASE_URL, entities, migrations: netcoreWebhooksMigrations('postgres') };
  }
  const database = resolve(env.DATABASE_PATH ?? 'data/netcore-webhooks.sqlite');
  mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    // busy_timeout: wait for another writer instead of failing at once.
    timeout: 5000,
    // WAL with synchronous=NORMAL: a commit survives a crash of the process and is fsynced at checkpoints
    // (FULL fsyncs every commit); a power loss can lose the last commits. The usual WAL setting.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('synchronous = NORMAL');
      // 64 MB of page cache (the default is 2 MB): the inbox's indexes stay in memory under load.
      db.pragma('cache_size = -65536');
      // Checkpoints run in a worker thread (SqliteWalCheckpointer); this automatic one (the default is 1000
      // pages) is only a backstop, so the event loop rarely pays for a checkpoint's fsync.
      db.pragma('wal_autocheckpoint = 20000');
    },
    entities,
    migrations: netcoreWebhooksMigrations('better-sqlite3'),
  };
}
