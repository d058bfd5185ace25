// Written by scripts/generate-migrations.ts: lists every migration of this folder in order.
import { NetcoreWebhooksInitialSqlite1764000000000 } from './1764000000000-netcore-webhooks-initial';

/** The Sqlite migrations of netcore-webhooks, oldest first. */
export const NETCORE_WEBHOOKS_MIGRATIONS_SQLITE = [NetcoreWebhooksInitialSqlite1764000000000];
