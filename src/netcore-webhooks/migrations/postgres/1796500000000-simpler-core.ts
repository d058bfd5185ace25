import type { MigrationInterface, QueryRunner } from 'typeorm';
import { carryOverBillingCalls } from '../carry-over-billing';

/**
 * The billing outbox, `commanded` in place of the claim protocol's columns (uncertain rows become commands),
 * the inbox's `left_out`, and dead letters that may name an outbox command. Generated, then edited to keep data.
 */
export class SimplerCorePostgres1796500000000 implements MigrationInterface {
  name = 'SimplerCorePostgres1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "netcore_billing_commands" ("id" character varying(140) NOT NULL, "ncmessage_id" character varying(128) NOT NULL, "kind" character varying(16) NOT NULL, "seq" integer NOT NULL, "payload" text NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" bigint, "locked_until" bigint, "claimed_by" character varying(36), "last_error" text, "created_at" bigint NOT NULL, "sent_at" bigint, CONSTRAINT "PK_c213ac6482376fb1db13564384e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_billing_commands_message" ON "netcore_billing_commands"  ("ncmessage_id") `);
    await queryRunner.query(`CREATE INDEX "idx_netcore_billing_commands_due" ON "netcore_billing_commands"  ("created_at") WHERE "state" IN ('pending', 'failed')`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD "commanded" character varying(16) NOT NULL DEFAULT 'none'`);
    await carryOverBillingCalls(queryRunner);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "notified"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "claim_token"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "claimed_until"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "left_out" character varying(200)`);
    await queryRunner.query(`ALTER TABLE "netcore_dead_letters" ALTER COLUMN "event_id" TYPE character varying(140)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "netcore_dead_letters" ALTER COLUMN "event_id" TYPE character varying(36)`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "left_out"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD "claimed_until" bigint`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD "claim_token" character varying(36)`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" ADD "notified" character varying(16) NOT NULL DEFAULT 'none'`);
    await queryRunner.query(`UPDATE "netcore_billing_states" SET "notified" = "commanded"`);
    await queryRunner.query(`ALTER TABLE "netcore_billing_states" DROP COLUMN "commanded"`);
    await queryRunner.query(`DROP TABLE "netcore_billing_commands"`);
  }
}
