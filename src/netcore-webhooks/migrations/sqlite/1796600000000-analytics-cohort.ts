import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildAnalyticsFacts, rebuildAnalyticsMessages } from '../rebuild-analytics';

/**
 * One analytics row per message (the cohort funnel) in place of the facts per message and status and their
 * daily counters, rebuilt from those facts. Generated, then edited to keep data.
 */
export class AnalyticsCohortSqlite1796600000000 implements MigrationInterface {
  name = 'AnalyticsCohortSqlite1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_analytics_messages" ("ncmessage_id" varchar(128) PRIMARY KEY NOT NULL, "source" varchar(128) NOT NULL, "category" varchar(64) NOT NULL DEFAULT (''), "category_at" bigint, "first_at" bigint NOT NULL, "last_at" bigint NOT NULL, "sent_at" bigint, "delivered_at" bigint, "read_at" bigint, "failed_at" bigint, "clicked_at" bigint, "remark" text NOT NULL DEFAULT (''))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_messages_last" ON "netcore_analytics_messages" ("last_at") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_messages_cohort" ON "netcore_analytics_messages" ("first_at") `);
    await rebuildAnalyticsMessages(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_analytics_daily_counts" ("day" varchar(10) NOT NULL, "status" varchar(32) NOT NULL, "category" varchar(64) NOT NULL, "source" varchar(128) NOT NULL, "count" bigint NOT NULL, PRIMARY KEY ("day", "status", "category", "source"))`);
    await queryRunner.query(`CREATE TABLE "netcore_analytics_events" ("ncmessage_id" varchar(128) NOT NULL, "status" varchar(32) NOT NULL, "day" varchar(10) NOT NULL, "category" varchar(64) NOT NULL, "source" varchar(128) NOT NULL, "received_at" bigint NOT NULL, "remark" text NOT NULL DEFAULT (''), PRIMARY KEY ("ncmessage_id", "status"))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_events_bucket" ON "netcore_analytics_events" ("day", "status", "category", "source") `);
    await rebuildAnalyticsFacts(queryRunner, (at) => `strftime('%Y-%m-%d', ${at} / 1000, 'unixepoch')`);
    await queryRunner.query(`DROP INDEX "idx_netcore_analytics_messages_cohort"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_analytics_messages_last"`);
    await queryRunner.query(`DROP TABLE "netcore_analytics_messages"`);
  }
}
