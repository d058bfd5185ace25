import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveWorkBack, moveWorkOut } from '../inbox-work-rows';

/**
 * The inbox's work state (claim, attempts, retry, lease) moves out of the event rows into `netcore_inbox_work`, a
 * row per event not processed yet. Generated, then edited to keep data. Run with every instance stopped.
 */
export class InboxWorkPostgres1796700000000 implements MigrationInterface {
  name = 'InboxWorkPostgres1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // First, so no instance of the previous version stores an event between the copy and the dropped columns.
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_backlog"`);
    // Room on each page for a claim or a heartbeat to rewrite its row in place (a HOT update: no index entries).
    await queryRunner.query(`CREATE TABLE "netcore_inbox_work" ("attempts" integer NOT NULL DEFAULT '0', "last_error" text, "next_attempt_at" bigint, "locked_until" bigint, "claimed_by" character varying(36), "created_at" bigint NOT NULL, "id" character varying(36) NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'pending', CONSTRAINT "PK_7a8746a483d0e70e7516291cfd0" PRIMARY KEY ("id")) WITH (fillfactor = 50)`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_inbox_work_due" ON "netcore_inbox_work"  ("created_at") WHERE "state" IN ('pending', 'failed')`);
    await moveWorkOut(queryRunner);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "state"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "attempts"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "last_error"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "next_attempt_at"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "locked_until"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "processed_at"`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "claimed_by"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "claimed_by" character varying(36)`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "processed_at" bigint`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "locked_until" bigint`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "next_attempt_at" bigint`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "last_error" text`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "attempts" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "state" character varying(16) NOT NULL DEFAULT 'pending'`);
    await moveWorkBack(queryRunner);
    await queryRunner.query(`DROP INDEX "idx_netcore_inbox_work_due"`);
    await queryRunner.query(`DROP TABLE "netcore_inbox_work"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_backlog" ON "netcore_webhook_events" ("created_at") WHERE "state" IN ('pending', 'failed')`);
  }
}
