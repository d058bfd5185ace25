import { DataSource, type DataSourceOptions } from 'typeorm';
import { NetcoreBillingSink, netcoreWebhooksMigrations } from '../src';
import { RecordingBillingSink } from './fixtures/recording-sinks';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';

type Notified = 'none' | 'calling' | 'unknown' | 'uncharged' | 'charged' | 'voided';
type Kind = 'charge' | 'void' | 'restore';

const BILLABLE = Date.UTC(2025, 11, 1, 10, 0, 0);
const FAILED = BILLABLE + 60_000;
const DELIVERED = BILLABLE + 120_000;
const REASON = 'Operator rejected the message';

/** One 0.1 billing state (`notified`, and a claim when a call was in progress) and what the migration makes of it. */
interface Case {
  name: string;
  notified: Notified;
  billable?: boolean;
  failed?: boolean;
  delivered?: boolean;
  claimed?: boolean;
  commands: Kind[];
  commanded: 'none' | 'charged' | 'voided';
}

const CASES: Case[] = [
  // A call in progress or of unknown outcome: the commands that reach the decision from any state of the sink.
  { name: 'calling, decided voided', notified: 'calling', failed: true, claimed: true, commands: ['charge', 'void'], commanded: 'voided' },
  { name: 'calling, decided charged', notified: 'calling', claimed: true, commands: ['charge'], commanded: 'charged' },
  { name: 'unknown, decided charged, delivered', notified: 'unknown', delivered: true, commands: ['charge', 'restore'], commanded: 'charged' },
  { name: 'unknown, decided voided', notified: 'unknown', failed: true, commands: ['charge', 'void'], commanded: 'voided' },
  { name: 'uncharged, decided charged', notified: 'uncharged', commands: ['charge'], commanded: 'charged' },
  { name: 'uncharged, failed then delivered', notified: 'uncharged', failed: true, delivered: true, commands: ['charge', 'restore'], commanded: 'charged' },
  // A known sink state behind its decision: the commands due.
  { name: 'none, decided charged', notified: 'none', commands: ['charge'], commanded: 'charged' },
  { name: 'none, decided charged with delivery', notified: 'none', delivered: true, commands: ['charge'], commanded: 'charged' },
  { name: 'charged, decided voided', notified: 'charged', failed: true, commands: ['void'], commanded: 'voided' },
  { name: 'voided, decided charged (delivered after the failure)', notified: 'voided', failed: true, delivered: true, commands: ['restore'], commanded: 'charged' },
  // Failed before its charge: never billed under 0.1, and not now.
  { name: 'none, decided voided', notified: 'none', failed: true, commands: [], commanded: 'voided' },
  // Already where the decision is.
  { name: 'charged, decided charged', notified: 'charged', delivered: true, commands: [], commanded: 'charged' },
  { name: 'voided, decided voided', notified: 'voided', failed: true, commands: [], commanded: 'voided' },
  // Not billable: nothing, whatever it says.
  { name: 'not billable, failed', notified: 'none', billable: false, failed: true, commands: [], commanded: 'none' },
  { name: 'not billable, calling', notified: 'calling', billable: false, delivered: true, claimed: true, commands: [], commanded: 'none' },
];

const idOf = (c: Case) => `carry-${c.name.replace(/[^a-z]+/g, '-')}`;

/** The sink call's argument the migration must write, as JSON (dates as ISO strings). */
function payloadOf(c: Case, kind: Kind): Record<string, unknown> {
  const ncmessageId = idOf(c);
  if (kind === 'charge') {
    return { ncmessageId, category: 'marketing', pricingModel: 'PMP', pricingType: 'regular', chargedAt: new Date(BILLABLE).toISOString() };
  }
  if (kind === 'void') return { ncmessageId, reason: REASON, voidedAt: new Date(FAILED).toISOString() };
  return { ncmessageId, deliveredAt: new Date(DELIVERED).toISOString() };
}

const SEQ: Record<Kind, number> = { charge: 1, void: 2, restore: 3 };

describe.each(DATABASES)('the SimplerCore migration carries 0.1 billing states over (%s)', (kind) => {
  let db: TestDatabase;
  let dataSource: DataSource | undefined;
  const type = kind === 'sqlite' ? 'better-sqlite3' : 'postgres';
  const all = netcoreWebhooksMigrations(type);
  const simplerCore = all.findIndex((m) => m.name.startsWith('SimplerCore'));

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    // The database as 0.1 left it: every migration before SimplerCore (through BacklogIndex).
    const before = all.slice(0, simplerCore);
    expect(before.at(-1)!.name).toMatch(/^BacklogIndex/);
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false, migrations: before }).initialize();
    await dataSource.runMigrations();
    const p = (i: number) => (kind === 'postgres' ? `$${i + 1}` : '?');
    const columns = ['ncmessage_id', 'billable_at', 'category', 'pricing_model', 'pricing_type', 'failed_at', 'failure_reason', 'delivered_at', 'notified', 'claim_token', 'claimed_until', 'updated_at'];
    for (const c of CASES) {
      const billable = c.billable ?? true;
      const values = [
        idOf(c),
        billable ? BILLABLE : null,
        billable ? 'marketing' : null,
        billable ? 'PMP' : null,
        billable ? 'regular' : null,
        c.failed ? FAILED : null,
        c.failed ? REASON : null,
        c.delivered ? DELIVERED : null,
        c.notified,
        c.claimed ? '6f1c1a52-7d43-4c3e-9a55-0d7bd1a0c0de' : null,
        c.claimed ? Date.now() + 30_000 : null,
        Date.now(),
      ];
      await dataSource.query(
        `INSERT INTO "netcore_billing_states" (${columns.map((n) => `"${n}"`).join(', ')}) VALUES (${values.map((_, i) => p(i)).join(', ')})`,
        values,
      );
    }
    await dataSource.destroy();
    dataSource = await new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false, migrations: all }).initialize();
    expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual(all.slice(simplerCore).map((m) => m.name));
  });
  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db.drop();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const id = idOf(c);
    const commands: { id: string; ncmessage_id: string; kind: string; seq: number | string; payload: string; state: string; attempts: number | string }[] =
      await dataSource!.query(
        `SELECT "id", "ncmessage_id", "kind", "seq", "payload", "state", "attempts" FROM "netcore_billing_commands" WHERE "ncmessage_id" = ${kind === 'postgres' ? '$1' : '?'} ORDER BY "seq"`,
        [id],
      );
    expect(commands.map((r) => ({ ...r, seq: Number(r.seq), attempts: Number(r.attempts), payload: JSON.parse(r.payload) }))).toEqual(
      c.commands.map((k) => ({ id: `${id}:${k}`, ncmessage_id: id, kind: k, seq: SEQ[k], payload: payloadOf(c, k), state: 'pending', attempts: 0 })),
    );
    const [state]: { commanded: string }[] = await dataSource!.query(
      `SELECT "commanded" FROM "netcore_billing_states" WHERE "ncmessage_id" = ${kind === 'postgres' ? '$1' : '?'}`,
      [id],
    );
    expect(state.commanded).toBe(c.commanded);
  });

  it("sends the carried-over commands to a host's sink, which ends each message at its decision", async () => {
    await dataSource!.destroy();
    const t = await startHostApp(
      kind,
      { extras: { billingSink: { useClass: RecordingBillingSink } }, webhooks: { recovery: { sweepIntervalMs: 50 } } },
      { db, logger: new CapturingLogger() },
    );
    try {
      const sink: RecordingBillingSink = t.app.get(NetcoreBillingSink);
      const total = CASES.reduce((n, c) => n + c.commands.length, 0);
      await waitFor('the carried-over commands to be sent', () => sink.calls.length === total, { timeoutMs: 10_000 });
      await t.settle();
      for (const c of CASES) {
        const id = idOf(c);
        expect({ id, calls: sink.callsFor(id).map((call) => ({ call: call.call, args: call.args })) }).toEqual({
          id,
          calls: c.commands.map((k) => ({
            call: k,
            args: { idempotencyKey: `${id}:${k}`, ...payloadOf(c, k), ...dates(payloadOf(c, k)) },
          })),
        });
      }
    } finally {
      await t.close();
    }
  });
});

/** The payload's ISO dates as the Dates the sink receives. */
function dates(payload: Record<string, unknown>): Record<string, Date> {
  const out: Record<string, Date> = {};
  for (const key of ['chargedAt', 'voidedAt', 'deliveredAt']) if (typeof payload[key] === 'string') out[key] = new Date(payload[key] as string);
  return out;
}
