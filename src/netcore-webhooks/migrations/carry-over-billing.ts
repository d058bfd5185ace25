import type { QueryRunner } from 'typeorm';

type Kind = 'charge' | 'void' | 'restore';
const SEQ: Record<Kind, number> = { charge: 1, void: 2, restore: 3 };
const iso = (ms: unknown) => (ms == null ? null : new Date(Number(ms)).toISOString());

/**
 * Before the billing outbox, a host's sink was called directly, and a message whose calls may or may not have
 * taken effect was left `calling`, `unknown` or `uncharged`. Those become commands that reach the decision
 * (charge, plus restore if ever delivered; or void), which the sink's idempotency key makes harmless to
 * repeat. Every message's `commanded` becomes what its sink was told, or will be once these are sent.
 */
export async function carryOverBillingCalls(queryRunner: QueryRunner): Promise<void> {
  const driver = queryRunner.connection.driver;
  const rows: Record<string, unknown>[] = await queryRunner.query(
    `SELECT "ncmessage_id", "billable_at", "category", "pricing_model", "pricing_type", "failed_at", "failure_reason", "delivered_at" ` +
      `FROM "netcore_billing_states" WHERE "notified" IN ('calling', 'unknown', 'uncharged') AND "billable_at" IS NOT NULL`,
  );
  const now = Date.now();
  for (const row of rows) {
    const id = String(row.ncmessage_id);
    const voided = row.failed_at != null && row.delivered_at == null;
    const kinds: Kind[] = voided ? ['void'] : row.delivered_at != null ? ['charge', 'restore'] : ['charge'];
    for (const kind of kinds) {
      const payload =
        kind === 'charge'
          ? { ncmessageId: id, category: row.category ?? '', pricingModel: row.pricing_model ?? '', pricingType: row.pricing_type ?? '', chargedAt: iso(row.billable_at) }
          : kind === 'void'
            ? { ncmessageId: id, reason: row.failure_reason ?? '', voidedAt: iso(row.failed_at) }
            : { ncmessageId: id, deliveredAt: iso(row.delivered_at) };
      const values = [`${id}:${kind}`, id, kind, SEQ[kind], JSON.stringify(payload), now];
      const placeholders = values.map((_, i) => driver.createParameter(`p${i}`, i)).join(', ');
      await queryRunner.query(
        `INSERT INTO "netcore_billing_commands" ("id", "ncmessage_id", "kind", "seq", "payload", "created_at") VALUES (${placeholders}) ON CONFLICT ("id") DO NOTHING`,
        values,
      );
    }
  }
  await queryRunner.query(
    `UPDATE "netcore_billing_states" SET "commanded" = CASE ` +
      `WHEN "notified" IN ('none', 'charged', 'voided') THEN "notified" ` +
      `WHEN "billable_at" IS NULL THEN 'none' ` +
      `WHEN "failed_at" IS NOT NULL AND "delivered_at" IS NULL THEN 'voided' ELSE 'charged' END`,
  );
}
