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
  return { ...common, type: 'better-sqlite3', database, enableWAL: true };
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
      useFactory: () => ({
        verification: { scheme: 'hmac', secrets: [webhookSecret()] },
        // GET /webhooks/netcore/analytics/summary exists only when an admin token is configured.
        ...(process.env.NETCORE_ADMIN_TOKEN ? { admin: { token: process.env.NETCORE_ADMIN_TOKEN } } : {}),
      }),
    }),
  ],
})
export class AppModule {}
