import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { NETCORE_MESSAGE_EVENTS, NetcoreInboxService, netcoreWebhooksMigrations } from '../src';
import { buildDeliveryStatus } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';

type OldState = 'pending' | 'processed' | 'failed' | 'dead';

/** The work columns an event row had before InboxWork, and that `netcore_inbox_work` has now. */
interface Work {
  state: OldState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  locked_until: number | null;
  claimed_by: string | null;
}

/** What InboxWork keeps of an event row. */
interface Kept {
  id: string;
  idempotency_key: string;
  ncmessage_id: string;
  status: string;
  received_at: number;
  payload: string;
  left_out: string | null;
  duplicates: number;
  created_at: number;
}

type OldRow = Kept & Work & { processed_at: number | null };

interface ColumnInfo {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
}

const KEPT_COLUMNS = ['id', 'idempotency_key', 'ncmessage_id', 'status', 'received_at', 'payload', 'left_out', 'duplicates', 'created_at'];
const WORK_COLUMNS = ['state', 'attempts', 'last_error', 'next_attempt_at', 'locked_until', 'claimed_by'];
const OLD_COLUMNS = [...KEPT_COLUMNS, ...WORK_COLUMNS, 'processed_at'];
const BIGINTS = new Set(['received_at', 'created_at', 'next_attempt_at', 'locked_until', 'processed_at', 'attempts', 'duplicates']);

const DEAD_WORKER = '0d9f4a3e-2b61-4c7a-9e55-5c1f0b7d2a10';
const LIVE_WORKER = '7b3e9c12-58d4-4f0e-a6b1-93c2e4d8f601';
const FAILED_ERROR = 'Error: ledger unavailable\n    at LedgerListener.onSent (ledger.listener.ts:12:11)';
const DEAD_ERROR = 'Error: ledger rejected the event\n    at LedgerListener.onSent (ledger.listener.ts:14:13)';

type Name = 'pending' | 'pendingDeadClaim' | 'pendingLiveClaim' | 'failed' | 'dead' | 'processed';

/** One event row in each state the release before's worker left behind, as it wrote them; `now` is when the migration runs. */
function oldRows(now: number): Record<Name, OldRow> {
  const row = (name: Name, n: number, work: Partial<Work & Pick<OldRow, 'processed_at' | 'duplicates' | 'left_out'>>): OldRow => {
    const receivedAt = Math.floor(now / 1000) * 1000 - 3_600_000 + n * 60_000;
    const item = buildDeliveryStatus({ ncmessage_id: `inbox-work-${name}`, status: 'sent', received_at: String(receivedAt / 1000) });
    return {
      id: randomUUID(),
      idempotency_key: `${item.ncmessage_id}|sent|${receivedAt}`,
      ncmessage_id: item.ncmessage_id,
      status: 'sent',
      received_at: receivedAt,
      payload: JSON.stringify(item),
      left_out: null,
      duplicates: 0,
      created_at: receivedAt + 1500,
      state: 'pending',
      attempts: 0,
      last_error: null,
      next_attempt_at: null,
      locked_until: null,
      claimed_by: null,
      processed_at: null,
      ...work,
    };
  };
  return {
    pending: row('pending', 1, { duplicates: 1 }),
    // Held by an instance that died: its lease has run out, another worker takes the row over.
    pendingDeadClaim: row('pendingDeadClaim', 2, { claimed_by: DEAD_WORKER, locked_until: now - 5_000 }),
    // Held under a lease still running: nobody else takes it before the lease runs out.
    pendingLiveClaim: row('pendingLiveClaim', 3, { claimed_by: LIVE_WORKER, locked_until: now + 600_000 }),
    // Its retry is due.
    failed: row('failed', 4, { state: 'failed', attempts: 2, last_error: FAILED_ERROR, next_attempt_at: now - 1_000 }),
    dead: row('dead', 5, { state: 'dead', attempts: 3, last_error: DEAD_ERROR }),
    processed: row('processed', 6, { state: 'processed', attempts: 1, processed_at: now - 30_000, duplicates: 2, left_out: 'source' }),
  };
}

const pick = <K extends string>(row: object, keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, (row as Record<string, unknown>)[k]])) as Record<K, unknown>;

/** A row read back, bigint columns as numbers (PostgreSQL answers them as strings). */
const normalized = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v != null && BIGINTS.has(k) ? Number(v) : v])) as Record<string, unknown>;

/** A host listener that holds `message.sent` until released: nothing completes while the test looks. */
@Injectable()
class GateListener {
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  reached = 0;

  @OnEvent(NETCORE_MESSAGE_EVENTS.SENT)
  async onSent(): Promise<void> {
    this.reached++;
    await this.opened;
  }

  release(): void {
    this.open();
  }
}

describe.each(DATABASES)('the InboxWork migration moves the work state out of the event rows (%s)', (kind) => {
  const type = kind === 'sqlite' ? 'better-sqlite3' : 'postgres';
  const all = netcoreWebhooksMigrations(type);
  const inboxWork = all.findIndex((m) => m.name.startsWith('InboxWork'));
  const p = (i: number) => (kind === 'postgres' ? `$${i + 1}` : '?');
  let db: TestDatabase;
  let rows: Record<Name, OldRow>;
  let dataSource: DataSource | undefined;
  /** The event table's columns and the inbox's indexes as the release before had them. */
  let oldSchema: { columns: ColumnInfo[]; indexes: Record<string, { table: string; sql: string }> };

  const open = (migrations = all) => new DataSource({ ...(db.options as DataSourceOptions), migrationsRun: false, migrations }).initialize();

  beforeEach(async () => {
    expect(all.at(-1)!.name).toMatch(/^InboxWork/);
    db = await createTestDatabase(kind);
    rows = oldRows(Date.now());
    // The database as the release before left it, with its inbox mid-flight.
    const before = await open(all.slice(0, inboxWork));
    try {
      await before.runMigrations();
      for (const row of Object.values(rows)) {
        await before.query(
          `INSERT INTO "netcore_webhook_events" (${OLD_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${OLD_COLUMNS.map((_, i) => p(i)).join(', ')})`,
          OLD_COLUMNS.map((c) => row[c as keyof OldRow]),
        );
      }
      oldSchema = { columns: await columnInfo(before, 'netcore_webhook_events'), indexes: await indexesOf(before) };
      // The dead row's dead letter, as the old worker wrote it.
      const dead = rows.dead;
      const fingerprint = createHash('sha256').update('processing\n').update(dead.id).digest('hex');
      await before.query(
        `INSERT INTO "netcore_dead_letters" ("id", "fingerprint", "reason", "errors", "payload", "event_id", "state", "occurrences", "created_at") VALUES (${[...Array(9).keys()].map(p).join(', ')})`,
        [randomUUID(), fingerprint, 'processing', JSON.stringify(['ledger rejected the event']), dead.payload, dead.id, 'open', 1, dead.created_at + 10_000],
      );
    } finally {
      await before.destroy();
    }
  }, 60_000);
  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    dataSource = undefined;
    await db?.drop();
  });

  const columnsOf = async (ds: DataSource, table: string): Promise<string[]> => {
    const found: { name: string }[] =
      kind === 'postgres'
        ? await ds.query(`SELECT "column_name" AS "name" FROM information_schema.columns WHERE "table_schema" = current_schema() AND "table_name" = $1`, [table])
        : await ds.query(`SELECT "name" FROM pragma_table_info(?)`, [table]);
    return found.map((c) => c.name).sort();
  };

  /** Indexes of the inbox's tables, but the primary keys, with their definitions. */
  const indexesOf = async (ds: DataSource): Promise<Record<string, { table: string; sql: string }>> => {
    const found: { name: string; table: string; sql: string }[] =
      kind === 'postgres'
        ? await ds.query(
            `SELECT "indexname" AS "name", "tablename" AS "table", "indexdef" AS "sql" FROM pg_indexes WHERE "schemaname" = current_schema() AND "tablename" IN ('netcore_webhook_events', 'netcore_inbox_work') AND "indexname" NOT LIKE 'PK_%'`,
          )
        : await ds.query(
            `SELECT "name", "tbl_name" AS "table", "sql" FROM sqlite_master WHERE "type" = 'index' AND "tbl_name" IN ('netcore_webhook_events', 'netcore_inbox_work') AND "name" NOT LIKE 'sqlite_autoindex_%'`,
          );
    return Object.fromEntries(found.map((i) => [i.name, { table: i.table, sql: i.sql }]));
  };

  /** Each column's definition, by name (column order differs harmlessly between an ALTER ... ADD and a rebuilt table). */
  const columnInfo = async (ds: DataSource, table: string): Promise<ColumnInfo[]> => {
    const found: ColumnInfo[] =
      kind === 'postgres'
        ? await ds.query(
            `SELECT "column_name" AS "name", "data_type" || COALESCE('(' || "character_maximum_length" || ')', '') AS "type", "is_nullable" = 'NO' AS "notNull", "column_default" AS "default" FROM information_schema.columns WHERE "table_schema" = current_schema() AND "table_name" = $1`,
            [table],
          )
        : (await ds.query(`SELECT "name", "type", "notnull", "dflt_value", "pk" FROM pragma_table_info(?)`, [table])).map(
            (c: { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }) => ({ name: c.name, type: c.type, notNull: c.notnull === 1 || c.pk === 1, default: c.dflt_value }),
          );
    return found.sort((a, b) => a.name.localeCompare(b.name));
  };

  const eventsById = async (ds: DataSource, columns: readonly string[]) => {
    const found: Record<string, unknown>[] = await ds.query(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "netcore_webhook_events"`);
    return Object.fromEntries(found.map((r) => [r.id as string, normalized(r)]));
  };

  const workById = async (ds: DataSource) => {
    const found: Record<string, unknown>[] = await ds.query(`SELECT "id", ${[...WORK_COLUMNS, 'created_at'].map((c) => `"${c}"`).join(', ')} FROM "netcore_inbox_work"`);
    return Object.fromEntries(found.map((r) => [r.id as string, normalized(r)]));
  };

  const byId = (names: readonly Name[], of: (row: OldRow) => Record<string, unknown>) => Object.fromEntries(names.map((n) => [rows[n].id, of(rows[n])]));
  const UNPROCESSED: Name[] = ['pending', 'pendingDeadClaim', 'pendingLiveClaim', 'failed', 'dead'];
  const ALL: Name[] = [...UNPROCESSED, 'processed'];

  it('up: a work row for each event not processed, its state, attempts, error, retry and claim carried over; every event kept', async () => {
    dataSource = await open();
    expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([all[inboxWork].name]);

    expect(await workById(dataSource)).toEqual(byId(UNPROCESSED, (r) => pick(r, ['id', ...WORK_COLUMNS, 'created_at'])));
    expect(await eventsById(dataSource, KEPT_COLUMNS)).toEqual(byId(ALL, (r) => pick(r, KEPT_COLUMNS)));

    expect(await columnsOf(dataSource, 'netcore_webhook_events')).toEqual([...KEPT_COLUMNS].sort());
    expect(await columnsOf(dataSource, 'netcore_inbox_work')).toEqual(['id', ...WORK_COLUMNS, 'created_at'].sort());
    const indexes = await indexesOf(dataSource);
    expect(Object.keys(indexes).sort()).toEqual(['idx_netcore_inbox_work_due', 'idx_netcore_webhook_events_message', 'uq_netcore_webhook_events_key']);
    expect(indexes.idx_netcore_inbox_work_due).toEqual({ table: 'netcore_inbox_work', sql: expect.stringMatching(/\("?created_at"?\) WHERE .*state.*'pending'.*'failed'/) });
    expect(indexes.uq_netcore_webhook_events_key.sql).toMatch(/UNIQUE INDEX/);
  });

  it('a host app booted on the old database migrates it and processes what was due, leaving the dead event and a live claim alone', async () => {
    const logger = new CapturingLogger();
    const t = await startHostApp(kind, { providers: [GateListener] }, { db, logger });
    const gate = t.app.get(GateListener);
    let closed = false;
    try {
      const inbox = t.app.get(NetcoreInboxService);
      await waitFor('the worker to reach a listener', () => gate.reached > 0, { timeoutMs: 10_000 });
      // Mid-batch, nothing completed: the counts the old rows said, claimed rows included.
      expect(await inbox.stats()).toEqual({
        pending: 3,
        failed: 1,
        dead: 1,
        processed: 1,
        openDeadLetters: { validation: 0, processing: 1, billing: 0, total: 1 },
        unsentBillingCommands: 0,
        oldestUnprocessedAt: new Date(rows.pending.created_at),
      });

      gate.release();
      await t.settle();
      expect(await inbox.stats()).toEqual({
        pending: 1,
        failed: 0,
        dead: 1,
        processed: 4,
        openDeadLetters: { validation: 0, processing: 1, billing: 0, total: 1 },
        unsentBillingCommands: 0,
        oldestUnprocessedAt: new Date(rows.pendingLiveClaim.created_at),
      });
      // Each due event went to the host's listeners once, with the payload stored before the migration.
      const due: Name[] = ['pending', 'pendingDeadClaim', 'failed'];
      expect(t.recorder.received.map((r) => [r.event.eventId, r.event.ncmessageId]).sort()).toEqual(due.map((n) => [rows[n].id, rows[n].ncmessage_id]).sort());
      // The dead event and the event under a live lease: their work rows as they were.
      const ds = t.app.get(DataSource);
      expect(await workById(ds)).toEqual(byId(['dead', 'pendingLiveClaim'], (r) => pick(r, ['id', ...WORK_COLUMNS, 'created_at'])));

      await t.close();
      closed = true;
      // Down after the app's work: what it processed is `processed` in the old columns.
      dataSource = await open();
      await dataSource.undoLastMigration();
      const back = await eventsById(dataSource, ['id', ...WORK_COLUMNS]);
      const processed = { state: 'processed', attempts: 0, last_error: null, next_attempt_at: null, locked_until: null, claimed_by: null };
      expect(back).toEqual({
        ...byId(['pending', 'pendingDeadClaim', 'failed', 'processed'], (r) => ({ id: r.id, ...processed })),
        ...byId(['dead', 'pendingLiveClaim'], (r) => pick(r, ['id', ...WORK_COLUMNS])),
      });
    } finally {
      // A failed expectation above must not leave the worker held until the shutdown timeout.
      gate.release();
      if (!closed) await t.close();
    }
    expect(logger.lines.filter((l) => l.level !== 'log' && l.level !== 'debug' && l.level !== 'verbose')).toEqual([]);
  });

  it('down: the old columns and the backlog index come back, each row with its state, attempts, error, retry and claim; up again gives the same', async () => {
    dataSource = await open();
    await dataSource.runMigrations();
    await dataSource.undoLastMigration();

    expect(await columnsOf(dataSource, 'netcore_webhook_events')).toEqual([...OLD_COLUMNS].sort());
    // Each column as the release before defined it (type, nullability, default), and its indexes as they were.
    expect(await columnInfo(dataSource, 'netcore_webhook_events')).toEqual(oldSchema.columns);
    expect(await columnsOf(dataSource, 'netcore_inbox_work')).toEqual([]);
    // A processed event's attempts and processed_at were dropped with its work columns: it comes back as a fresh `processed`.
    const processed = { state: 'processed', attempts: 0, last_error: null, next_attempt_at: null, locked_until: null, claimed_by: null };
    expect(await eventsById(dataSource, [...KEPT_COLUMNS, ...WORK_COLUMNS])).toEqual({
      ...byId(UNPROCESSED, (r) => pick(r, [...KEPT_COLUMNS, ...WORK_COLUMNS])),
      ...byId(['processed'], (r) => ({ ...pick(r, KEPT_COLUMNS), ...processed })),
    });

    const indexes = await indexesOf(dataSource);
    expect(Object.keys(indexes).sort()).toEqual(['idx_netcore_webhook_events_backlog', 'idx_netcore_webhook_events_message', 'uq_netcore_webhook_events_key']);
    expect(indexes.idx_netcore_webhook_events_backlog).toEqual({
      table: 'netcore_webhook_events',
      sql: expect.stringMatching(/\("?created_at"?\) WHERE .*state.*'pending'.*'failed'/),
    });
    expect(indexes.uq_netcore_webhook_events_key.sql).toMatch(/UNIQUE INDEX/);
    expect(indexes).toEqual(oldSchema.indexes);

    // The old claim's backlog (the index's WHERE), in claim order: the events not processed, and only those.
    const backlog: { id: string }[] = await dataSource.query(`SELECT "id" FROM "netcore_webhook_events" WHERE "state" IN ('pending', 'failed') ORDER BY "created_at"`);
    expect(backlog.map((r) => r.id)).toEqual((['pending', 'pendingDeadClaim', 'pendingLiveClaim', 'failed'] as Name[]).map((n) => rows[n].id));

    await dataSource.runMigrations();
    expect(await workById(dataSource)).toEqual(byId(UNPROCESSED, (r) => pick(r, ['id', ...WORK_COLUMNS, 'created_at'])));
  });
});
