import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Generated from the entity metadata by `npm run migration:generate` (postgres). */
export class ReliabilityClaimsPostgres1764100000000 implements MigrationInterface {
  name = 'ReliabilityClaimsPostgres1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" ADD "claimed_by" character varying(36)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "netcore_webhook_events" DROP COLUMN "claimed_by"`);
  }
}
