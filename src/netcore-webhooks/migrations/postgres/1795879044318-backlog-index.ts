import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Generated from the entity metadata by `npm run migration:generate` (postgres), then made IF (NOT) EXISTS. */
export class BacklogIndexPostgres1795879044318 implements MigrationInterface {
  name = 'BacklogIndexPostgres1795879044318';

  async up(queryRunner: QueryRunner): Promise<void> {
    // IF NOT EXISTS: on a large inbox the index can be built beforehand without blocking writes (README,
    // "Database migrations"); the migration then only drops the old one.
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "idx_netcore_webhook_events_backlog" ON "netcore_webhook_events"  ("created_at") WHERE "state" IN ('pending', 'failed')`);
    await queryRunner.query(`DROP INDEX IF EXISTS "idx_netcore_webhook_events_due"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_netcore_webhook_events_backlog"`);
    await queryRunner.query(`CREATE INDEX "idx_netcore_webhook_events_due" ON "netcore_webhook_events" USING btree ("state", "next_attempt_at") `);
  }
}
