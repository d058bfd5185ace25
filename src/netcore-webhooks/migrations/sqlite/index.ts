// Written by scripts/generate-migrations.ts: lists every migration of this folder in order.
import { NetcoreWebhooksInitialSqlite1764000000000 } from './1764000000000-netcore-webhooks-initial';
import { ReliabilityClaimsSqlite1764100000000 } from './1764100000000-reliability-claims';
import { BacklogIndexSqlite1795879043943 } from './1795879043943-backlog-index';
import { SimplerCoreSqlite1796500000000 } from './1796500000000-simpler-core';
import { AnalyticsCohortSqlite1796600000000 } from './1796600000000-analytics-cohort';
import { InboxWorkSqlite1796700000000 } from './1796700000000-inbox-work';

/** The Sqlite migrations of netcore-webhooks, oldest first. */
export const NETCORE_WEBHOOKS_MIGRATIONS_SQLITE = [NetcoreWebhooksInitialSqlite1764000000000, ReliabilityClaimsSqlite1764100000000, BacklogIndexSqlite1795879043943, SimplerCoreSqlite1796500000000, AnalyticsCohortSqlite1796600000000, InboxWorkSqlite1796700000000];
