import type { QueryRunner } from 'typeorm';

const WORK_COLUMNS = '"id", "state", "attempts", "last_error", "next_attempt_at", "locked_until", "claimed_by", "created_at"';

/** Up: every event not processed yet gets its work row, with its claim, attempts and last error (same SQL on both databases). */
export async function moveWorkOut(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(
    `INSERT INTO "netcore_inbox_work" (${WORK_COLUMNS}) SELECT ${WORK_COLUMNS} FROM "netcore_webhook_events" WHERE "state" <> 'processed'`,
  );
}

/** Down, once the events have their work columns back (all `pending`): the work rows' state, and `processed` for the rest. */
export async function moveWorkBack(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(
    `UPDATE "netcore_webhook_events" SET "state" = 'processed' WHERE NOT EXISTS (SELECT 1 FROM "netcore_inbox_work" w WHERE w."id" = "netcore_webhook_events"."id")`,
  );
  await queryRunner.query(
    `UPDATE "netcore_webhook_events" SET ("state", "attempts", "last_error", "next_attempt_at", "locked_until", "claimed_by") = ` +
      `(SELECT w."state", w."attempts", w."last_error", w."next_attempt_at", w."locked_until", w."claimed_by" FROM "netcore_inbox_work" w WHERE w."id" = "netcore_webhook_events"."id") ` +
      `WHERE "id" IN (SELECT "id" FROM "netcore_inbox_work")`,
  );
}
