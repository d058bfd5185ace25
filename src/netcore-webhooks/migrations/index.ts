import type { DataSourceOptions } from 'typeorm';
import { NetcoreWebhooksConfigurationError } from '../netcore-webhooks-options.resolver';
import { NETCORE_WEBHOOKS_MIGRATIONS_POSTGRES } from './postgres';
import { NETCORE_WEBHOOKS_MIGRATIONS_SQLITE } from './sqlite';

export { NETCORE_WEBHOOKS_MIGRATIONS_POSTGRES, NETCORE_WEBHOOKS_MIGRATIONS_SQLITE };

/** A migration class as TypeORM's `migrations` option takes it. */
export type NetcoreWebhooksMigration = Function;

/**
 * The module's migrations for a TypeORM driver type, to spread into the host's `migrations` list:
 * `migrations: [...netcoreWebhooksMigrations('postgres'), ...ownMigrations]`.
 */
export function netcoreWebhooksMigrations(type: DataSourceOptions['type']): NetcoreWebhooksMigration[] {
  switch (type) {
    case 'postgres':
      return [...NETCORE_WEBHOOKS_MIGRATIONS_POSTGRES];
    case 'better-sqlite3':
      return [...NETCORE_WEBHOOKS_MIGRATIONS_SQLITE];
    default:
      throw new NetcoreWebhooksConfigurationError(
        `no migrations ship for the TypeORM driver '${String(type)}' (postgres and better-sqlite3 do). ` +
          'Generate your own from NETCORE_WEBHOOKS_ENTITIES with the TypeORM CLI (migration:generate).',
      );
  }
}
