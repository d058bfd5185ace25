import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveWorkBack, moveWorkOut } from '../inbox-work-rows';

/**
 * The inbox's work state (claim, attempts, retry, lease) moves out of the event rows into `netcore_inbox_work`, a
 * row per event not processed yet. Generated, then edited to keep data. Run with every instance stopped.
 */
export class InboxWorkSqlite1796700000000 implements MigrationInterface {
  name = 'InboxWorkSqlite1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_backlog"`);
    await queryRunner.query(`CREATE TABLE "netcore_inbox_work" ("attempts" integer NOT NULL DEFAULT (0), "last_error" text, "next_attempt_at" bigint, "locked_until" bigint, "claimed_by" varchar(36), "created_at" bigint NOT NULL, "id" varchar(36) PRIMARY KEY NOT NULL, "state" varchar(16) NOT NULL DEFAULT ('pending'))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_inbox_work_due" ON "netcore_inbox_work" ("created_at") WHERE "state" IN ('pending', 'failed')`);
    await moveWorkOut(queryRunner);
    await queryRunner.query(`DROP INDEX "uq_netcore_webhook_events_key"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_message"`);
    await queryRunner.query(`CREATE TABLE "temporary_netcore_webhook_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "idempotency_key" varchar(200) NOT NULL, "ncmessage_id" varchar(128) NOT NULL, "status" varchar(32) NOT NULL, "received_at" bigint NOT NULL, "payload" text NOT NULL, "duplicates" integer NOT NULL DEFAULT (0), "created_at" bigint NOT NULL, "left_out" varchar(200))`);
    await queryRunner.query(`INSERT INTO "temporary_netcore_webhook_events"("id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "duplicates", "created_at", "left_out") SELECT "id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "duplicates", "created_at", "left_out" FROM "netcore_webhook_events"`);
    await queryRunner.query(`DROP TABLE "netcore_webhook_events"`);
    await queryRunner.query(`ALTER TABLE "temporary_netcore_webhook_events" RENAME TO "netcore_webhook_events"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_webhook_events_key" ON "netcore_webhook_events" ("idempotency_key") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_message" ON "netcore_webhook_events" ("ncmessage_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_message"`);
    await queryRunner.query(`DROP INDEX "uq_netcore_webhook_events_key"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" RENAME TO "temporary_netcore_webhook_events"`);
    await queryRunner.query(`CREATE TABLE "netcore_webhook_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "idempotency_key" varchar(200) NOT NULL, "ncmessage_id" varchar(128) NOT NULL, "status" varchar(32) NOT NULL, "received_at" bigint NOT NULL, "payload" text NOT NULL, "state" varchar(16) NOT NULL DEFAULT ('pending'), "attempts" integer NOT NULL DEFAULT (0), "duplicates" integer NOT NULL DEFAULT (0), "last_error" text, "next_attempt_at" bigint, "locked_until" bigint, "created_at" bigint NOT NULL, "processed_at" bigint, "claimed_by" varchar(36), "left_out" varchar(200))`);
    await queryRunner.query(`INSERT INTO "netcore_webhook_events"("id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "duplicates", "created_at", "left_out") SELECT "id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "duplicates", "created_at", "left_out" FROM "temporary_netcore_webhook_events"`);
    await queryRunner.query(`DROP TABLE "temporary_netcore_webhook_events"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_message" ON "netcore_webhook_events" ("ncmessage_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_webhook_events_key" ON "netcore_webhook_events" ("idempotency_key") `);
    await moveWorkBack(queryRunner);
    await queryRunner.query(`DROP INDEX "idx_netcore_inbox_work_due"`);
    await queryRunner.query(`DROP TABLE "netcore_inbox_work"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_backlog" ON "netcore_webhook_events" ("created_at") WHERE "state" IN ('pending', 'failed')`);
  }
}
