import type { MigrationInterface, QueryRunner } from 'typeorm';
import { carryOverBillingCalls } from '../carry-over-billing';

/**
 * The billing outbox, `commanded` in place of the claim protocol's columns (uncertain rows become commands),
 * the inbox's `left_out`, and dead letters that may name an outbox command. Generated, then edited to keep data.
 */
export class SimplerCoreSqlite1796500000000 implements MigrationInterface {
  name = 'SimplerCoreSqlite1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_billing_commands" ("id" varchar(140) PRIMARY KEY NOT NULL, "ncmessage_id" varchar(128) NOT NULL, "kind" varchar(16) NOT NULL, "seq" integer NOT NULL, "payload" text NOT NULL, "state" varchar(16) NOT NULL DEFAULT ('pending'), "attempts" integer NOT NULL DEFAULT (0), "next_attempt_at" bigint, "locked_until" bigint, "claimed_by" varchar(36), "last_error" text, "created_at" bigint NOT NULL, "sent_at" bigint)`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_billing_commands_message" ON "netcore_billing_commands" ("ncmessage_id") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_billing_commands_due" ON "netcore_billing_commands" ("created_at") WHERE "state" IN ('pending', 'failed')`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD COLUMN "commanded" varchar(16) NOT NULL DEFAULT ('none')`);
    await carryOverBillingCalls(queryRunner);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "notified"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "claim_token"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "claimed_until"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD COLUMN "left_out" varchar(200)`);
    await queryRunner.query(`DROP INDEX "idx_netcore_dead_letters_reason"`);
    await queryRunner.query(`DROP INDEX "uq_netcore_dead_letters_fingerprint"`);
    await queryRunner.query(`CREATE TABLE "temporary_netcore_dead_letters" ("id" varchar(36) PRIMARY KEY NOT NULL, "fingerprint" varchar(64) NOT NULL, "reason" varchar(16) NOT NULL, "errors" text NOT NULL, "payload" text NOT NULL, "event_id" varchar(140), "state" varchar(16) NOT NULL DEFAULT ('open'), "occurrences" integer NOT NULL DEFAULT (1), "created_at" bigint NOT NULL, "resolved_at" bigint, "resolution" text)`);
    await queryRunner.query(`INSERT INTO "temporary_netcore_dead_letters"("id", "fingerprint", "reason", "errors", "payload", "event_id", "state", "occurrences", "created_at", "resolved_at", "resolution") SELECT "id", "fingerprint", "reason", "errors", "payload", "event_id", "state", "occurrences", "created_at", "resolved_at", "resolution" FROM "netcore_dead_letters"`);
    await queryRunner.query(`DROP TABLE "netcore_dead_letters"`);
    await queryRunner.query(`ALTER TABLE "temporary_netcore_dead_letters" RENAME TO "netcore_dead_letters"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_dead_letters_reason" ON "netcore_dead_letters" ("reason", "state") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_dead_letters_fingerprint" ON "netcore_dead_letters" ("fingerprint") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_netcore_dead_letters_fingerprint"`);
    await queryRunner.query(`DROP INDEX "idx_netcore_dead_letters_reason"`);
    await queryRunner.query(`ALTER TABLE "netcore_dead_letters" RENAME TO "temporary_netcore_dead_letters"`);
    await queryRunner.query(`CREATE TABLE "netcore_dead_letters" ("id" varchar(36) PRIMARY KEY NOT NULL, "fingerprint" varchar(64) NOT NULL, "reason" varchar(16) NOT NULL, "errors" text NOT NULL, "payload" text NOT NULL, "event_id" varchar(36), "state" varchar(16) NOT NULL DEFAULT ('open'), "occurrences" integer NOT NULL DEFAULT (1), "created_at" bigint NOT NULL, "resolved_at" bigint, "resolution" text)`);
    await queryRunner.query(`INSERT INTO "netcore_dead_letters"("id", "fingerprint", "reason", "errors", "payload", "event_id", "state", "occurrences", "created_at", "resolved_at", "resolution") SELECT "id", "fingerprint", "reason", "errors", "payload", "event_id", "state", "occurrences", "created_at", "resolved_at", "resolution" FROM "temporary_netcore_dead_letters"`);
    await queryRunner.query(`DROP TABLE "temporary_netcore_dead_letters"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_netcore_dead_letters_fingerprint" ON "netcore_dead_letters" ("fingerprint") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_dead_letters_reason" ON "netcore_dead_letters" ("reason", "state") `);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "left_out"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD COLUMN "claimed_until" bigint`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD COLUMN "claim_token" varchar(36)`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD COLUMN "notified" varchar(16) NOT NULL DEFAULT ('none')`);
    await queryRunner.query(`UPDATE "netcore_billing_states" SET "notified" = "commanded"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "commanded"`);
    await queryRunner.query(`DROP TABLE "netcore_billing_commands"`);
  }
}
