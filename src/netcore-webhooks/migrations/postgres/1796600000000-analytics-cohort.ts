import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildAnalyticsFacts, rebuildAnalyticsMessages } from '../rebuild-analytics';

/**
 * One analytics row per message (the cohort funnel) in place of the facts per message and status and their
 * daily counters, rebuilt from those facts. Generated, then edited to keep data.
 */
export class AnalyticsCohortPostgres1796600000000 implements MigrationInterface {
  name = 'AnalyticsCohortPostgres1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_analytics_messages" ("ncmessage_id" character varying(128) NOT NULL, "source" character varying(128) NOT NULL, "category" character varying(64) NOT NULL DEFAULT '', "category_at" bigint, "first_at" bigint NOT NULL, "last_at" bigint NOT NULL, "sent_at" bigint, "delivered_at" bigint, "read_at" bigint, "failed_at" bigint, "clicked_at" bigint, "remark" text NOT NULL DEFAULT '', CONSTRAINT "PK_cadba51915affd4039c050bc42c" PRIMARY KEY ("ncmessage_id"))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_messages_last" ON "netcore_analytics_messages"  ("last_at") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_messages_cohort" ON "netcore_analytics_messages"  ("first_at") `);
    await rebuildAnalyticsMessages(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_analytics_daily_counts" ("day" character varying(10) NOT NULL, "status" character varying(32) NOT NULL, "category" character varying(64) NOT NULL, "source" character varying(128) NOT NULL, "count" bigint NOT NULL, CONSTRAINT "PK_2a0f259e1882f8e8bcf2f5c2447" PRIMARY KEY ("day", "status", "category", "source"))`);
    await queryRunner.query(`CREATE TABLE "netcore_analytics_events" ("ncmessage_id" character varying(128) NOT NULL, "status" character varying(32) NOT NULL, "day" character varying(10) NOT NULL, "category" character varying(64) NOT NULL, "source" character varying(128) NOT NULL, "received_at" bigint NOT NULL, "remark" text NOT NULL DEFAULT '', CONSTRAINT "PK_97b069ec0f284d9f893db490545" PRIMARY KEY ("ncmessage_id", "status"))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_events_bucket" ON "netcore_analytics_events"  ("day", "status", "category", "source") `);
    await rebuildAnalyticsFacts(queryRunner, (at) => `to_char(to_timestamp(${at} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`);
    await queryRunner.query(`DROP INDEX "idx_netcore_analytics_messages_cohort"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_analytics_messages_last"`);
    await queryRunner.query(`DROP TABLE "netcore_analytics_messages"`);
  }
}
