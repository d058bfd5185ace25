import type { QueryRunner } from 'typeorm';

const STATUSES = ['sent', 'delivered', 'read', 'failed', 'clicked'];
const FACTS = '"netcore_analytics_events"';
const MESSAGES = '"netcore_analytics_messages"';
const earliestFact = (column: string, where = '') =>
  `(SELECT e."${column}" FROM ${FACTS} e WHERE e."ncmessage_id" = g."ncmessage_id"${where} ORDER BY e."received_at", e."status" LIMIT 1)`;

/**
 * Fills `netcore_analytics_messages` from the 0.1 facts (one per message and status): each status's time,
 * the earliest as the cohort, the source of the earliest fact and the category of the earliest priced one
 * (a 0.1 failure copied its message's category, so failures are not asked); then drops the facts and counters.
 */
export async function rebuildAnalyticsMessages(queryRunner: QueryRunner): Promise<void> {
  const priced = ` AND e."category" <> '' AND e."status" <> 'failed'`;
  const perStatus = STATUSES.map((s) => `MIN(CASE WHEN "status" = '${s}' THEN "received_at" END) AS "${s}_at"`).join(', ');
  await queryRunner.query(
    `INSERT INTO ${MESSAGES} ("ncmessage_id", "source", "category", "category_at", "first_at", "last_at", ` +
      `${STATUSES.map((s) => `"${s}_at"`).join(', ')}, "remark") ` +
      `SELECT g."ncmessage_id", ${earliestFact('source')}, COALESCE(${earliestFact('category', priced)}, ''), ${earliestFact('received_at', priced)}, ` +
      `g."first_at", g."last_at", ${STATUSES.map((s) => `g."${s}_at"`).join(', ')}, g."remark" FROM (` +
      `SELECT "ncmessage_id", MIN("received_at") AS "first_at", MAX("received_at") AS "last_at", ${perStatus}, ` +
      `MAX(CASE WHEN "status" = 'failed' THEN "remark" ELSE '' END) AS "remark" FROM ${FACTS} ` +
      `WHERE "status" IN (${STATUSES.map((s) => `'${s}'`).join(', ')}) GROUP BY "ncmessage_id") g`,
  );
  await queryRunner.query(`DROP INDEX "idx_netcore_analytics_events_bucket"`);
  await queryRunner.query(`DROP TABLE ${FACTS}`);
  await queryRunner.query(`DROP TABLE "netcore_analytics_daily_counts"`);
}

/** The reverse, for `down`: a fact per status reached and the daily counters of those facts. `day` renders a UTC day. */
export async function rebuildAnalyticsFacts(queryRunner: QueryRunner, day: (epochMs: string) => string): Promise<void> {
  const facts = STATUSES.map(
    (s) =>
      `SELECT m."ncmessage_id", '${s}', ${day(`m."${s}_at"`)}, m."category", m."source", m."${s}_at", ` +
      `${s === 'failed' ? 'm."remark"' : "''"} FROM ${MESSAGES} m WHERE m."${s}_at" IS NOT NULL`,
  );
  await queryRunner.query(
    `INSERT INTO ${FACTS} ("ncmessage_id", "status", "day", "category", "source", "received_at", "remark") ${facts.join(' UNION ALL ')}`,
  );
  await queryRunner.query(
    `INSERT INTO "netcore_analytics_daily_counts" ("day", "status", "category", "source", "count") ` +
      `SELECT "day", "status", "category", "source", COUNT(*) FROM ${FACTS} GROUP BY "day", "status", "category", "source"`,
  );
}
