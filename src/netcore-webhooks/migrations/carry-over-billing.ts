import type { QueryRunner } from 'typeorm';

type Kind = 'charge' | 'void' | 'restore';
const SEQ: Record<Kind, number> = { charge: 1, void: 2, restore: 3 };
const iso = (ms: unknown) => (ms == null ? null : new Date(Number(ms)).toISOString());

/**
 * Before the billing outbox, a host's sink was called directly. A message whose calls may or may not have taken
 * effect (`calling`, `unknown`, `uncharged`) gets the commands that reach its decision from any state of the
 * sink (charge then void; or charge, then restore if it was ever delivered); one whose sink is behind its
 * decision gets the commands due (one that failed before any charge was never billed under 0.1, and still is
not). 0.1's sinks had to ignore a charge of a charged message and a void of one
 * never charged, so repeating these is harmless. Every message's `commanded` becomes its decision. The rules
 * are written out here, not imported, so this migration keeps doing what it did when later versions change.
 */
export async function carryOverBillingCalls(queryRunner: QueryRunner): Promise<void> {
  const driver = queryRunner.connection.driver;
  const rows: Record<string, unknown>[] = await queryRunner.query(
    `SELECT "ncmessage_id", "billable_at", "category", "pricing_model", "pricing_type", "failed_at", "failure_reason", "delivered_at" ` +
      `, "notified" FROM "netcore_billing_states" WHERE "billable_at" IS NOT NULL`,
  );
  const now = Date.now();
  for (const row of rows) {
    const id = String(row.ncmessage_id);
    const decision = row.failed_at != null && row.delivered_at == null ? 'voided' : 'charged';
    const known = row.notified === 'none' || row.notified === 'charged' || row.notified === 'voided';
    const kinds: Kind[] = !known
      ? decision === 'voided' ? ['charge', 'void'] : row.delivered_at != null ? ['charge', 'restore'] : ['charge']
      : row.notified === decision ? []
      : row.notified === 'none' ? (decision === 'voided' ? [] : ['charge'])
      : decision === 'voided' ? ['void'] : ['restore'];
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
    `UPDATE "netcore_billing_states" SET "commanded" = CASE WHEN "billable_at" IS NULL THEN 'none' ` +
      `WHEN "failed_at" IS NOT NULL AND "delivered_at" IS NULL THEN 'voided' ELSE 'charged' END`,
  );
}
