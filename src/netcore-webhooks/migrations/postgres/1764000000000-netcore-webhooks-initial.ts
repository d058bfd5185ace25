import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Generated from the entity metadata by `npm run migration:initial` (postgres). */
export class NetcoreWebhooksInitialPostgres1764000000000 implements MigrationInterface {
  name = 'NetcoreWebhooksInitialPostgres1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_analytics_daily_counts" ("day" character varying(10) NOT NULL, "status" character varying(32) NOT NULL, "category" character varying(64) NOT NULL, "source" character varying(128) NOT NULL, "count" bigint NOT NULL, CONSTRAINT "PK_2a0f259e1882f8e8bcf2f5c2447" PRIMARY KEY ("day", "status", "category", "source"))`);
    await queryRunner.query(`CREATE TABLE "netcore_analytics_events" ("ncmessage_id" character varying(128) NOT NULL, "status" character varying(32) NOT NULL, "day" character varying(10) NOT NULL, "category" character varying(64) NOT NULL, "source" character varying(128) NOT NULL, "received_at" bigint NOT NULL, "remark" text NOT NULL DEFAULT '', CONSTRAINT "PK_97b069ec0f284d9f893db490545" PRIMARY KEY ("ncmessage_id", "status"))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_analytics_events_bucket" ON "netcore_analytics_events"  ("day", "status", "category", "source") `);
    await queryRunner.query(`CREATE TABLE "netcore_billing_states" ("ncmessage_id" character varying(128) NOT NULL, "billable_at" bigint, "category" character varying(64), "pricing_model" character varying(64), "pricing_type" character varying(64), "failed_at" bigint, "failure_reason" text, "delivered_at" bigint, "notified" character varying(16) NOT NULL DEFAULT 'none', "claim_token" character varying(36), "claimed_until" bigint, "updated_at" bigint NOT NULL, CONSTRAINT "PK_22f4d2d63b86fc9729060f82449" PRIMARY KEY ("ncmessage_id"))`);
    await queryRunner.query(`CREATE TABLE "netcore_billing_records" ("ncmessage_id" character varying(128) NOT NULL, "category" character varying(64) NOT NULL, "pricing_model" character varying(64) NOT NULL, "pricing_type" character varying(64) NOT NULL, "charged_at" bigint NOT NULL, "state" character varying(16) NOT NULL, "voided_at" bigint, "void_reason" text, "updated_at" bigint NOT NULL, CONSTRAINT "PK_3fabb213b65afb21e4508db25d5" PRIMARY KEY ("ncmessage_id"))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_billing_records_charged_at" ON "netcore_billing_records"  ("charged_at") `);
    await queryRunner.query(`CREATE TABLE "netcore_webhook_events" ("id" character varying(36) NOT NULL, "idempotency_key" character varying(200) NOT NULL, "ncmessage_id" character varying(128) NOT NULL, "status" character varying(32) NOT NULL, "received_at" bigint NOT NULL, "payload" text NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "duplicates" integer NOT NULL DEFAULT '0', "last_error" text, "next_attempt_at" bigint, "locked_until" bigint, "created_at" bigint NOT NULL, "processed_at" bigint, CONSTRAINT "PK_10c20f398cab7ea1810fa72f49a" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_webhook_events_key" ON "netcore_webhook_events"  ("idempotency_key") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_message" ON "netcore_webhook_events"  ("ncmessage_id") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_due" ON "netcore_webhook_events"  ("state", "next_attempt_at") `);
    await queryRunner.query(`CREATE TABLE "netcore_dead_letters" ("id" character varying(36) NOT NULL, "fingerprint" character varying(64) NOT NULL, "reason" character varying(16) NOT NULL, "errors" text NOT NULL, "payload" text NOT NULL, "event_id" character varying(36), "state" character varying(16) NOT NULL DEFAULT 'open', "occurrences" integer NOT NULL DEFAULT '1', "created_at" bigint NOT NULL, "resolved_at" bigint, "resolution" text, CONSTRAINT "PK_03da0915ae2f7c997b5c9cb57c5" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_dead_letters_fingerprint" ON "netcore_dead_letters"  ("fingerprint") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_dead_letters_reason" ON "netcore_dead_letters"  ("reason", "state") `);
    await queryRunner.query(`CREATE TABLE "netcore_messages" ("ncmessage_id" character varying(128) NOT NULL, "status" character varying(32), "status_rank" integer NOT NULL DEFAULT '0', "recipient" character varying(64), "phone_number" character varying(64), "source" text, "api_header" text, "sent_at" bigint, "delivered_at" bigint, "read_at" bigint, "failed_at" bigint, "failure_reason" text, "first_clicked_at" bigint, "click_count" integer NOT NULL DEFAULT '0', "updated_at" bigint NOT NULL, CONSTRAINT "PK_6c1cb72dab3fb48a2690a36b13a" PRIMARY KEY ("ncmessage_id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "netcore_messages"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_dead_letters_reason"`);
    await queryRunner.query(`DROP INDEX "uq_netcore_dead_letters_fingerprint"`);
    await queryRunner.query(`DROP TABLE "netcore_dead_letters"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_due"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_message"`);
    await queryRunner.query(`DROP INDEX "uq_netcore_webhook_events_key"`);
    await queryRunner.query(`DROP TABLE "netcore_webhook_events"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_billing_records_charged_at"`);
    await queryRunner.query(`DROP TABLE "netcore_billing_records"`);
    await queryRunner.query(`DROP TABLE "netcore_billing_states"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_analytics_events_bucket"`);
    await queryRunner.query(`DROP TABLE "netcore_analytics_events"`);
    await queryRunner.query(`DROP TABLE "netcore_analytics_daily_counts"`);
  }
}
