// Written by scripts/generate-migrations.ts: lists every migration of this folder in order.
import { NetcoreWebhooksInitialPostgres1764000000000 } from './1764000000000-netcore-webhooks-initial';
import { ReliabilityClaimsPostgres1764100000000 } from './1764100000000-reliability-claims';
import { BacklogIndexPostgres1795879044318 } from './1795879044318-backlog-index';
import { SimplerCorePostgres1796500000000 } from './1796500000000-simpler-core';
import { AnalyticsCohortPostgres1796600000000 } from './1796600000000-analytics-cohort';
import { InboxWorkPostgres1796700000000 } from './1796700000000-inbox-work';

/** The Postgres migrations of netcore-webhooks, oldest first. */
export const NETCORE_WEBHOOKS_MIGRATIONS_POSTGRES = [NetcoreWebhooksInitialPostgres1764000000000, ReliabilityClaimsPostgres1764100000000, BacklogIndexPostgres1795879044318, SimplerCorePostgres1796500000000, AnalyticsCohortPostgres1796600000000, InboxWorkPostgres1796700000000];
