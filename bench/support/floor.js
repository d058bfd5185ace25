'use strict';
/*
 * The database's floor: the fewest writes a correct receiver makes per event on the module's own (migrated)
 * tables, by a bare script with no Nest, TypeORM, HTTP, JSON, signature or validation. It prices what the
 * database and this schema cost before any code of ours runs, so the targets can be read against it:
 *
 *   ingest, one transaction per 500 events (five requests of 100, group-committed): the inbox rows, in one
 *                                                         statement per request, skipping a known idempotency key
 *                                                         (and, with the `schema` layout, the work rows of the
 *                                                         events it inserted, in a second one);
 *   processing, one transaction per 500 events:           the message's status (one upsert per message),
 *                                                         the ledger entry of a billable message (insert, or
 *                                                         void for a failed one), the message's analytics
 *                                                         row (one upsert per message), the events marked processed.
 *
 * Analytics, ledger and the processed mark commit together; the analytics row's upsert repeats harmlessly.
 * Processing works from the events in memory (no read of the inbox back). The module writes more than this
 * (billing states and analytics facts that let a host's sinks and listeners run outside the transaction,
 * click recounts, the claim of a swept row): the gap between the two is the price of those features.
 *
 * With the `schema` layout it is the floor of this schema: the inbox's text primary key and its three indexes,
 * each event row written once, and beside it a narrow work row (a text primary key and an entry in the partial
 * index of due work) inserted with the event and deleted once it is processed. The `lean` layout prices an
 * inbox of any design at its leanest: an integer key, the idempotency key's unique index and the payload, each
 * row written once, and one cursor row moved per processing transaction instead of a mark on each row. The
 * other tables are the module's in both.
 */
const { join } = require('node:path');
const { inboxRows, INBOX_COLUMNS: INBOX, INBOX_TYPES } = require('./backlog');

/** Where a value sits in an inbox row (INBOX order). */
const [ID, KEY, PAYLOAD, RECEIVED_AT, CREATED_AT] = ['id', 'idempotency_key', 'payload', 'received_at', 'created_at'].map((c) => INBOX.indexOf(c));

const ROOT = join(__dirname, '..', '..');
const INGEST_BATCH = 100;
const PROCESS_BATCH = 500;

/** Where the events are stored, and how a processing transaction records that they are done. */
const LAYOUTS = {
  schema: {
    table: 'netcore_webhook_events',
    columns: INBOX,
    types: INBOX_TYPES,
    row: (row) => row,
    // The work row of each event the insert stored (its RETURNING rows: none for a known key), pending and
    // unclaimed by the columns' defaults; deleted when the event is processed.
    work: { table: 'netcore_inbox_work', columns: ['id', 'created_at'], types: ['varchar', 'bigint'] },
    // Processed: stored, with no work row left.
    processedSql:
      'SELECT COUNT(*) AS n FROM netcore_webhook_events e WHERE NOT EXISTS (SELECT 1 FROM netcore_inbox_work w WHERE w."id" = e."id")',
  },
  lean: {
    table: 'floor_lean_inbox',
    columns: ['idempotency_key', 'payload', 'created_at'],
    types: ['varchar', 'text', 'bigint'],
    row: (row) => [row[KEY], row[PAYLOAD], row[CREATED_AT]],
    processedSql: 'SELECT COUNT(*) AS n FROM floor_lean_inbox WHERE "created_at" <= (SELECT "created_at" FROM floor_lean_cursor)',
    ddl: (kind) => [
      `CREATE TABLE floor_lean_inbox ("seq" ${kind === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY'}, ` +
        '"idempotency_key" varchar NOT NULL UNIQUE, "payload" text NOT NULL, "created_at" bigint NOT NULL)',
      'CREATE TABLE floor_lean_cursor ("created_at" bigint NOT NULL)',
      'INSERT INTO floor_lean_cursor VALUES (0)',
    ],
  },
};

/** What one processing transaction writes for `batch`, as plain rows. */
function processingRows(batch, now, statusRank) {
  const messages = new Map();
  const charges = new Map();
  const voids = new Set();
  const analytics = new Map();
  for (const { item, row } of batch) {
    const rank = statusRank(item.status);
    const m = messages.get(item.ncmessage_id);
    if (!m || rank > m[2]) messages.set(item.ncmessage_id, [item.ncmessage_id, item.status, rank, now]);
    if (item.status === 'failed') voids.add(item.ncmessage_id);
    else if (item.pricing?.billable === true && !charges.has(item.ncmessage_id)) {
      charges.set(item.ncmessage_id, [item.ncmessage_id, item.pricing.category, item.pricing.pricing_model, item.pricing.type, row[RECEIVED_AT], 'charged', now]);
    }
    const a = analytics.get(item.ncmessage_id);
    if (!a) analytics.set(item.ncmessage_id, [item.ncmessage_id, item.source ?? '', row[RECEIVED_AT], row[RECEIVED_AT]]);
    else [a[2], a[3]] = [Math.min(a[2], row[RECEIVED_AT]), Math.max(a[3], row[RECEIVED_AT])];
  }
  for (const id of voids) charges.delete(id);
  const ids = batch.map((e) => e.row[ID]);
  return { messages: [...messages.values()], charges: [...charges.values()], voids: [...voids], analytics: [...analytics.values()], ids, last: batch[batch.length - 1].row[CREATED_AT] };
}

const SQL = {
  inboxConflict: ' ON CONFLICT ("idempotency_key") DO NOTHING',
  inserted: ' RETURNING "id", "created_at"',
  message: (t) =>
    ` ON CONFLICT ("ncmessage_id") DO UPDATE SET "status" = CASE WHEN EXCLUDED."status_rank" > ${t}."status_rank" THEN EXCLUDED."status" ELSE ${t}."status" END, ` +
    `"status_rank" = CASE WHEN EXCLUDED."status_rank" > ${t}."status_rank" THEN EXCLUDED."status_rank" ELSE ${t}."status_rank" END, "updated_at" = EXCLUDED."updated_at"`,
  charge: ' ON CONFLICT ("ncmessage_id") DO NOTHING',
  analytics: (t) =>
    ` ON CONFLICT ("ncmessage_id") DO UPDATE SET "first_at" = CASE WHEN EXCLUDED."first_at" < ${t}."first_at" THEN EXCLUDED."first_at" ELSE ${t}."first_at" END, ` +
    `"last_at" = CASE WHEN EXCLUDED."last_at" > ${t}."last_at" THEN EXCLUDED."last_at" ELSE ${t}."last_at" END`,
};
const MESSAGE = ['ncmessage_id', 'status', 'status_rank', 'updated_at'];
const CHARGE = ['ncmessage_id', 'category', 'pricing_model', 'pricing_type', 'charged_at', 'state', 'updated_at'];
const ANALYTICS = ['ncmessage_id', 'source', 'first_at', 'last_at'];

/** A floor that wrote less than it claims would price nothing: every event stored and processed, every message analysed. */
async function checkWritten(query, all, layout) {
  const n = async (sql) => Number(await query(sql));
  const messageCount = new Set(all.map((e) => e.item.ncmessage_id)).size;
  const expected = { processed: all.length, analysed: messageCount, messages: messageCount };
  const found = {
    processed: await n(layout.processedSql),
    analysed: await n('SELECT COUNT(*) AS n FROM netcore_analytics_messages'),
    messages: await n('SELECT COUNT(*) AS n FROM netcore_messages'),
  };
  for (const k of Object.keys(expected)) {
    if (found[k] !== expected[k]) throw new Error(`floor: ${k} ${found[k]}, expected ${expected[k]}`);
  }
}

function sqliteFloor(location, batches, statusRank, layout) {
  const Database = require('better-sqlite3');
  const db = new Database(location, { fileMustExist: true, timeout: 5000 });
  // The demo app's settings (src/demo/database-options.ts); its checkpoints run in a worker thread, so the
  // one here runs at the end, outside the write transactions, and counts in this process's CPU only.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 0');
  for (const ddl of layout.ddl?.('sqlite') ?? []) db.exec(ddl);
  const statements = new Map();
  const prepared = (key, sql) => {
    let s = statements.get(key);
    if (!s) statements.set(key, (s = db.prepare(sql())));
    return s;
  };
  const insertSql = (table, columns, count, suffix) => {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    return `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${Array.from({ length: count }, () => tuple).join(', ')}${suffix}`;
  };
  const insert = (table, columns, rows, suffix = '') => {
    if (!rows.length) return;
    prepared(`${table}|${rows.length}`, () => insertSql(table, columns, rows.length, suffix)).run(rows.flat());
  };
  // Inserts and answers the rows inserted (`id`, `created_at`), as arrays.
  const insertReturning = (table, columns, rows, suffix) =>
    prepared(`${table}|${rows.length}|returning`, () => insertSql(table, columns, rows.length, suffix + SQL.inserted))
      .raw(true)
      .all(rows.flat());
  // `sql` has its `params` bound first, then `IN (:list)`.
  const byList = (sql, values, ...params) => {
    if (!values.length) return;
    prepared(`${sql}|${values.length}`, () => sql.replace('(:list)', `(${values.map(() => '?').join(', ')})`)).run(...params, ...values);
  };
  const ingest = db.transaction((rows) => {
    for (let i = 0; i < rows.length; i += INGEST_BATCH) {
      const request = rows.slice(i, i + INGEST_BATCH);
      if (!layout.work) insert(layout.table, layout.columns, request, SQL.inboxConflict);
      else insert(layout.work.table, layout.work.columns, insertReturning(layout.table, layout.columns, request, SQL.inboxConflict));
    }
  });
  const processBatch = db.transaction((w, now) => {
    insert('netcore_messages', MESSAGE, w.messages, SQL.message('netcore_messages'));
    insert('netcore_billing_records', CHARGE, w.charges, SQL.charge);
    byList(`UPDATE netcore_billing_records SET "state" = 'voided', "voided_at" = ? WHERE "ncmessage_id" IN (:list)`, w.voids, now);
    insert('netcore_analytics_messages', ANALYTICS, w.analytics, SQL.analytics('netcore_analytics_messages'));
    if (layout.ddl) prepared('cursor', () => 'UPDATE floor_lean_cursor SET "created_at" = ?').run(w.last);
    else byList('DELETE FROM netcore_inbox_work WHERE "id" IN (:list)', w.ids);
  });
  const inTransaction = (fn) => {
    const before = process.cpuUsage();
    fn();
    const spent = process.cpuUsage(before);
    return spent.user + spent.system;
  };
  try {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let ingestUs = 0;
    let processUs = 0;
    for (const batch of batches) {
      // Rows are made outside the transactions: that work need not hold SQLite's one writer.
      const rows = batch.map((e) => layout.row(e.row));
      ingestUs += inTransaction(() => ingest(rows));
      const now = Date.now();
      const w = processingRows(batch, now, statusRank);
      processUs += inTransaction(() => processBatch(w, now));
    }
    db.pragma('wal_checkpoint(PASSIVE)');
    const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
    const { user, system } = process.cpuUsage(cpu);
    return {
      wallSec,
      nodeCpuSec: (user + system) / 1e6,
      writerCpuSec: (ingestUs + processUs) / 1e6,
      ingestWriterCpuSec: ingestUs / 1e6,
      databaseCpuSec: null,
      check: (all) => checkWritten(async (sql) => db.prepare(sql).get().n, all, layout),
      close: async () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

async function postgresFloor(location, batches, statusRank, databaseCpuSeconds, layout) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: location });
  await client.connect();
  for (const ddl of layout.ddl?.('postgres') ?? []) await client.query(ddl);
  const unnest = (table, columns, types, suffix = '') =>
    `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})${suffix}`;
  const byColumn = (rows, width) => Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));
  const sql = {
    inbox: unnest(layout.table, layout.columns, layout.types, SQL.inboxConflict + (layout.work ? SQL.inserted : '')),
    work: layout.work && unnest(layout.work.table, layout.work.columns, layout.work.types),
    message: unnest('netcore_messages', MESSAGE, ['varchar', 'varchar', 'integer', 'bigint'], SQL.message('netcore_messages')),
    charge: unnest('netcore_billing_records', CHARGE, ['varchar', 'varchar', 'varchar', 'varchar', 'bigint', 'varchar', 'bigint'], SQL.charge),
    void: `UPDATE netcore_billing_records SET "state" = 'voided', "voided_at" = $2 WHERE "ncmessage_id" = ANY($1::varchar[])`,
    analytics: unnest('netcore_analytics_messages', ANALYTICS, ['varchar', 'varchar', 'bigint', 'bigint'], SQL.analytics('netcore_analytics_messages')),
    processed: 'DELETE FROM netcore_inbox_work WHERE "id" = ANY($1::varchar[])',
    cursor: 'UPDATE floor_lean_cursor SET "created_at" = $1',
  };
  // Named statements: parsed and planned once per connection, as a tuned client would.
  const run = (name, values) => client.query({ name, text: sql[name], values, rowMode: 'array' });
  const close = () => client.end();
  try {
    const cpu = process.cpuUsage();
    const dbCpu = databaseCpuSeconds();
    const started = process.hrtime.bigint();
    for (const batch of batches) {
      await client.query('BEGIN');
      for (let i = 0; i < batch.length; i += INGEST_BATCH) {
        const { rows: inserted } = await run('inbox', byColumn(batch.slice(i, i + INGEST_BATCH).map((e) => layout.row(e.row)), layout.columns.length));
        if (layout.work && inserted.length) await run('work', byColumn(inserted, layout.work.columns.length));
      }
      await client.query('COMMIT');
      const now = Date.now();
      const w = processingRows(batch, now, statusRank);
      await client.query('BEGIN');
      await run('message', byColumn(w.messages, MESSAGE.length));
      if (w.charges.length) await run('charge', byColumn(w.charges, CHARGE.length));
      if (w.voids.length) await run('void', [w.voids, now]);
      await run('analytics', byColumn(w.analytics, ANALYTICS.length));
      if (layout.ddl) await run('cursor', [w.last]);
      else await run('processed', [w.ids]);
      await client.query('COMMIT');
    }
    const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
    const { user, system } = process.cpuUsage(cpu);
    return {
      wallSec,
      nodeCpuSec: (user + system) / 1e6,
      writerCpuSec: null,
      ingestWriterCpuSec: null,
      databaseCpuSec: databaseCpuSeconds() - dbCpu,
      check: (all) => checkWritten(async (text) => (await client.query(text)).rows[0].n, all, layout),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs the floor for `count` events on a migrated database (`kind`: sqlite or postgres) and answers its cost:
 * wall time, CPU seconds of this process (SQLite's work included; `writerCpuSec`: the part inside SQLite's
 * write transactions) and of PostgreSQL.
 */
async function measureFloor(kind, location, count, prefix, { databaseCpuSeconds, layout: name = 'schema' }) {
  const layout = LAYOUTS[name];
  // The module's own ranking of statuses (built), so the message upserts fold as the module's do.
  const { statusRank } = require(join(ROOT, 'dist', 'netcore-webhooks', 'lifecycle', 'status-rank'));
  // Made before timing: a request hands its events over parsed and keyed.
  const all = [...inboxRows(count, prefix)];
  const batches = [];
  for (let i = 0; i < all.length; i += PROCESS_BATCH) batches.push(all.slice(i, i + PROCESS_BATCH));
  const { check, close, ...cost } =
    kind === 'sqlite'
      ? sqliteFloor(location, batches, statusRank, layout)
      : await postgresFloor(location, batches, statusRank, databaseCpuSeconds, layout);
  try {
    await check(all);
  } finally {
    await close();
  }
  return { events: count, layout: name, ...cost };
}

module.exports = { measureFloor };
