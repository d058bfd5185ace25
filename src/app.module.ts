import { Logger, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NETCORE_WEBHOOKS_ENTITIES, NetcoreWebhooksModule } from './index';

/** Demo host app: how a messaging platform mounts the module. Configured from the environment. */
export const DEV_SECRET = 'dev-secret-change-me';

export function databaseOptions(env: NodeJS.ProcessEnv = process.env): TypeOrmModuleOptions {
  const common = { entities: NETCORE_WEBHOOKS_ENTITIES, synchronize: true };
  if (env.DATABASE_URL) return { ...common, type: 'postgres', url: env.DATABASE_URL };
  const database = resolve(env.DATABASE_PATH ?? 'data/netcore-webhooks.sqlite');
  mkdirSync(dirname(database), { recursive: true });
  // WAL with synchronous=NORMAL: a commit is durable against process crashes and is fsynced at checkpoints,
  // the usual WAL setting (FULL fsyncs every commit). busy_timeout: wait for another writer instead of failing.
  return {
    ...common,
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('synchronous = NORMAL');
    },
  };
}

function webhookSecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NETCORE_WEBHOOK_SECRET) return env.NETCORE_WEBHOOK_SECRET;
  if (env.NODE_ENV === 'production') return ''; // the module then refuses to start, naming the setting
  new Logger('DemoApp').warn(`NETCORE_WEBHOOK_SECRET is not set: using the development secret "${DEV_SECRET}"`);
  return DEV_SECRET;
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({ useFactory: () => databaseOptions() }),
    EventEmitterModule.forRoot(),
    NetcoreWebhooksModule.forRootAsync({
      useFactory: () => ({ verification: { scheme: 'hmac', secrets: [webhookSecret()] } }),
    }),
  ],
})
export class AppModule {}
