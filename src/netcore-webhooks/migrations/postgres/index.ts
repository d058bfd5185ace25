// Written by scripts/generate-migrations.ts: lists every migration of this folder in order.
import { NetcoreWebhooksInitialPostgres1764000000000 } from './1764000000000-netcore-webhooks-initial';

/** The Postgres migrations of netcore-webhooks, oldest first. */
export const NETCORE_WEBHOOKS_MIGRATIONS_POSTGRES = [NetcoreWebhooksInitialPostgres1764000000000];
