import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Generated from the entity metadata by `npm run migration:generate` (sqlite). */
export class ReliabilityClaimsSqlite1764100000000 implements MigrationInterface {
  name = 'ReliabilityClaimsSqlite1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_due"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_message"`);
    await queryRunner.query(`DROP INDEX "uq_netcore_webhook_events_key"`);
    await queryRunner.query(`CREATE TABLE "temporary_netcore_webhook_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "idempotency_key" varchar(200) NOT NULL, "ncmessage_id" varchar(128) NOT NULL, "status" varchar(32) NOT NULL, "received_at" bigint NOT NULL, "payload" text NOT NULL, "state" varchar(16) NOT NULL DEFAULT ('pending'), "attempts" integer NOT NULL DEFAULT (0), "duplicates" integer NOT NULL DEFAULT (0), "last_error" text, "next_attempt_at" bigint, "locked_until" bigint, "created_at" bigint NOT NULL, "processed_at" bigint, "claimed_by" varchar(36))`);
    await queryRunner.query(`INSERT INTO "temporary_netcore_webhook_events"("id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "state", "attempts", "duplicates", "last_error", "next_attempt_at", "locked_until", "created_at", "processed_at") SELECT "id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "state", "attempts", "duplicates", "last_error", "next_attempt_at", "locked_until", "created_at", "processed_at" FROM "netcore_webhook_events"`);
    await queryRunner.query(`DROP TABLE "netcore_webhook_events"`);
    await queryRunner.query(`ALTER TABLE "temporary_netcore_webhook_events" RENAME TO "netcore_webhook_events"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_due" ON "netcore_webhook_events" ("state", "next_attempt_at") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_message" ON "netcore_webhook_events" ("ncmessage_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_webhook_events_key" ON "netcore_webhook_events" ("idempotency_key") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_netcore_webhook_events_key"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_message"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_due"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" RENAME TO "temporary_netcore_webhook_events"`);
    await queryRunner.query(`CREATE TABLE "netcore_webhook_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "idempotency_key" varchar(200) NOT NULL, "ncmessage_id" varchar(128) NOT NULL, "status" varchar(32) NOT NULL, "received_at" bigint NOT NULL, "payload" text NOT NULL, "state" varchar(16) NOT NULL DEFAULT ('pending'), "attempts" integer NOT NULL DEFAULT (0), "duplicates" integer NOT NULL DEFAULT (0), "last_error" text, "next_attempt_at" bigint, "locked_until" bigint, "created_at" bigint NOT NULL, "processed_at" bigint)`);
    await queryRunner.query(`INSERT INTO "netcore_webhook_events"("id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "state", "attempts", "duplicates", "last_error", "next_attempt_at", "locked_until", "created_at", "processed_at") SELECT "id", "idempotency_key", "ncmessage_id", "status", "received_at", "payload", "state", "attempts", "duplicates", "last_error", "next_attempt_at", "locked_until", "created_at", "processed_at" FROM "temporary_netcore_webhook_events"`);
    await queryRunner.query(`DROP TABLE "temporary_netcore_webhook_events"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_webhook_events_key" ON "netcore_webhook_events" ("idempotency_key") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_message" ON "netcore_webhook_events" ("ncmessage_id") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_due" ON "netcore_webhook_events" ("state", "next_attempt_at") `);
  }
}
