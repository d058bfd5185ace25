'use strict';
/*
 * The database's floor: the fewest writes a correct receiver makes per event on the module's own (migrated)
 * tables, by a bare script with no Nest, TypeORM, HTTP, JSON, signature or validation. It prices what the
 * database and this schema cost before any code of ours runs, so the targets can be read against it:
 *
 *   ingest, one transaction per 500 events (five requests of 100, group-committed): the inbox rows, in one
 *                                                         statement per request, skipping a known idempotency key;
 *   processing, one transaction per 500 events:           the message's status (one upsert per message),
 *                                                         the ledger entry of a billable message (insert, or
 *                                                         void for a failed one), the day's count per bucket
 *                                                         (one upsert per bucket), the inbox rows processed.
 *
 * Counts, ledger and the processed mark commit together, so each event counts once without per-event facts.
 * Processing works from the events in memory (no read of the inbox back). The module writes more than this
 * (billing states and analytics facts that let a host's sinks and listeners run outside the transaction,
 * click recounts, the claim of a swept row): the gap between the two is the price of those features.
 *
 * It is the floor of this schema, not of every schema: the inbox's text primary key and its four indexes, and
 * the second write of each row to mark it processed (not a HOT update on PostgreSQL: `state` is in the
 * backlog index's predicate), are costs a different inbox design could avoid.
 */
const { join } = require('node:path');
const { inboxRows, INBOX_COLUMNS: INBOX, INBOX_TYPES } = require('./backlog');

const ROOT = join(__dirname, '..', '..');
const INGEST_BATCH = 100;
const PROCESS_BATCH = 500;

/** What one processing transaction writes for `batch`, as plain rows. */
function processingRows(batch, now, statusRank) {
  const messages = new Map();
  const charges = new Map();
  const voids = new Set();
  const counts = new Map();
  for (const { item, row } of batch) {
    const rank = statusRank(item.status);
    const m = messages.get(item.ncmessage_id);
    if (!m || rank > m[2]) messages.set(item.ncmessage_id, [item.ncmessage_id, item.status, rank, now]);
    if (item.status === 'failed') voids.add(item.ncmessage_id);
    else if (item.pricing?.billable === true && !charges.has(item.ncmessage_id)) {
      charges.set(item.ncmessage_id, [item.ncmessage_id, item.pricing.category, item.pricing.pricing_model, item.pricing.type, row[4], 'charged', now]);
    }
    const day = new Date(row[4]).toISOString().slice(0, 10);
    const bucket = `${day}|${item.status}|${item.pricing?.category ?? ''}|${item.source ?? ''}`;
    const c = counts.get(bucket);
    if (c) c[4]++;
    else counts.set(bucket, [day, item.status, item.pricing?.category ?? '', item.source ?? '', 1]);
  }
  for (const id of voids) charges.delete(id);
  return { messages: [...messages.values()], charges: [...charges.values()], voids: [...voids], counts: [...counts.values()], ids: batch.map((e) => e.row[0]) };
}

const SQL = {
  inboxConflict: ' ON CONFLICT ("idempotency_key") DO NOTHING',
  message: (t) =>
    ` ON CONFLICT ("ncmessage_id") DO UPDATE SET "status" = CASE WHEN EXCLUDED."status_rank" > ${t}."status_rank" THEN EXCLUDED."status" ELSE ${t}."status" END, ` +
    `"status_rank" = CASE WHEN EXCLUDED."status_rank" > ${t}."status_rank" THEN EXCLUDED."status_rank" ELSE ${t}."status_rank" END, "updated_at" = EXCLUDED."updated_at"`,
  charge: ' ON CONFLICT ("ncmessage_id") DO NOTHING',
  count: (t) => ` ON CONFLICT ("day", "status", "category", "source") DO UPDATE SET "count" = ${t}."count" + EXCLUDED."count"`,
};
const MESSAGE = ['ncmessage_id', 'status', 'status_rank', 'updated_at'];
const CHARGE = ['ncmessage_id', 'category', 'pricing_model', 'pricing_type', 'charged_at', 'state', 'updated_at'];
const COUNT = ['day', 'status', 'category', 'source', 'count'];

/** A floor that wrote less than it claims would price nothing: every event stored, processed and counted once. */
async function checkWritten(query, all) {
  const n = async (sql) => Number(await query(sql));
  const expected = { processed: all.length, counted: all.length, messages: new Set(all.map((e) => e.item.ncmessage_id)).size };
  const found = {
    processed: await n(`SELECT COUNT(*) AS n FROM netcore_webhook_events WHERE "state" = 'processed'`),
    counted: await n('SELECT SUM("count") AS n FROM netcore_analytics_daily_counts'),
    messages: await n('SELECT COUNT(*) AS n FROM netcore_messages'),
  };
  for (const k of Object.keys(expected)) {
    if (found[k] !== expected[k]) throw new Error(`floor: ${k} ${found[k]}, expected ${expected[k]}`);
  }
}

function sqliteFloor(location, batches, statusRank) {
  const Database = require('better-sqlite3');
  const db = new Database(location, { fileMustExist: true, timeout: 5000 });
  // The demo app's settings (src/demo/database-options.ts); its checkpoints run in a worker thread, so the
  // one here runs at the end, outside the write transactions, and counts in this process's CPU only.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 0');
  const statements = new Map();
  const prepared = (key, sql) => {
    let s = statements.get(key);
    if (!s) statements.set(key, (s = db.prepare(sql())));
    return s;
  };
  const insert = (table, columns, rows, suffix = '') => {
    if (!rows.length) return;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    prepared(`${table}|${rows.length}`, () => `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${suffix}`).run(rows.flat());
  };
  // `sql` has one bound value (now) and then `IN (:list)`.
  const update = (sql, now, values) => {
    if (!values.length) return;
    prepared(`${sql}|${values.length}`, () => sql.replace('(:list)', `(${values.map(() => '?').join(', ')})`)).run(now, ...values);
  };
  const ingest = db.transaction((rows) => {
    for (let i = 0; i < rows.length; i += INGEST_BATCH) insert('netcore_webhook_events', INBOX, rows.slice(i, i + INGEST_BATCH), SQL.inboxConflict);
  });
  const processBatch = db.transaction((w, now) => {
    insert('netcore_messages', MESSAGE, w.messages, SQL.message('netcore_messages'));
    insert('netcore_billing_records', CHARGE, w.charges, SQL.charge);
    update(`UPDATE netcore_billing_records SET "state" = 'voided', "voided_at" = ? WHERE "ncmessage_id" IN (:list)`, now, w.voids);
    insert('netcore_analytics_daily_counts', COUNT, w.counts, SQL.count('netcore_analytics_daily_counts'));
    update(`UPDATE netcore_webhook_events SET "state" = 'processed', "processed_at" = ? WHERE "id" IN (:list)`, now, w.ids);
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
      const rows = batch.map((e) => e.row);
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
      check: (all) => checkWritten(async (sql) => db.prepare(sql).get().n, all),
      close: async () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

async function postgresFloor(location, batches, statusRank, databaseCpuSeconds) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: location });
  await client.connect();
  const unnest = (table, columns, types, suffix = '') =>
    `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})${suffix}`;
  const byColumn = (rows, width) => Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));
  const sql = {
    inbox: unnest('netcore_webhook_events', INBOX, INBOX_TYPES, SQL.inboxConflict),
    message: unnest('netcore_messages', MESSAGE, ['varchar', 'varchar', 'integer', 'bigint'], SQL.message('netcore_messages')),
    charge: unnest('netcore_billing_records', CHARGE, ['varchar', 'varchar', 'varchar', 'varchar', 'bigint', 'varchar', 'bigint'], SQL.charge),
    void: `UPDATE netcore_billing_records SET "state" = 'voided', "voided_at" = $2 WHERE "ncmessage_id" = ANY($1::varchar[])`,
    count: unnest('netcore_analytics_daily_counts', COUNT, ['varchar', 'varchar', 'varchar', 'varchar', 'bigint'], SQL.count('netcore_analytics_daily_counts')),
    processed: `UPDATE netcore_webhook_events SET "state" = 'processed', "processed_at" = $2 WHERE "id" = ANY($1::varchar[])`,
  };
  // Named statements: parsed and planned once per connection, as a tuned client would.
  const run = (name, values) => client.query({ name, text: sql[name], values });
  const close = () => client.end();
  try {
    const cpu = process.cpuUsage();
    const dbCpu = databaseCpuSeconds();
    const started = process.hrtime.bigint();
    for (const batch of batches) {
      await client.query('BEGIN');
      for (let i = 0; i < batch.length; i += INGEST_BATCH) {
        await run('inbox', byColumn(batch.slice(i, i + INGEST_BATCH).map((e) => e.row), INBOX.length));
      }
      await client.query('COMMIT');
      const now = Date.now();
      const w = processingRows(batch, now, statusRank);
      await client.query('BEGIN');
      await run('message', byColumn(w.messages, MESSAGE.length));
      if (w.charges.length) await run('charge', byColumn(w.charges, CHARGE.length));
      if (w.voids.length) await run('void', [w.voids, now]);
      await run('count', byColumn(w.counts, COUNT.length));
      await run('processed', [w.ids, now]);
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
      check: (all) => checkWritten(async (text) => (await client.query(text)).rows[0].n, all),
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
async function measureFloor(kind, location, count, prefix, { databaseCpuSeconds }) {
  // The module's own ranking of statuses (built), so the message upserts fold as the module's do.
  const { statusRank } = require(join(ROOT, 'dist', 'netcore-webhooks', 'lifecycle', 'status-rank'));
  // Made before timing: a request hands its events over parsed and keyed.
  const all = [...inboxRows(count, prefix)];
  const batches = [];
  for (let i = 0; i < all.length; i += PROCESS_BATCH) batches.push(all.slice(i, i + PROCESS_BATCH));
  const { check, close, ...cost } =
    kind === 'sqlite' ? sqliteFloor(location, batches, statusRank) : await postgresFloor(location, batches, statusRank, databaseCpuSeconds);
  try {
    await check(all);
  } finally {
    await close();
  }
  return { events: count, ...cost };
}

module.exports = { measureFloor };
