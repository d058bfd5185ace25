import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Generated from the entity metadata by `npm run migration:generate` (postgres). */
export class BacklogIndexPostgres1795879044318 implements MigrationInterface {
  name = 'BacklogIndexPostgres1795879044318';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_due"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_backlog" ON "netcore_webhook_events"  ("created_at") WHERE "state" IN ('pending', 'failed')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_backlog"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_due" ON "netcore_webhook_events" USING btree ("state", "next_attempt_at") `);
  }
}
