'use strict';
/*
 * The database's floor: the fewest writes a correct receiver must make per event, made by a bare script on the
 * module's own (migrated) tables, with no Nest, TypeORM, HTTP, JSON, signature or validation. It prices what the
 * hardware allows before any code of ours runs, so the targets can be read against it:
 *
 *   ingest, one transaction per 500 events (five requests of 100, group-committed): the inbox rows, in one
 *                                                         statement per request, skipping a known idempotency key;
 *   processing, one transaction per 500 events:           the message's status (one upsert per message),
 *                                                         the ledger entry of a billable message (insert, or
 *                                                         void for a failed one), the day's count per bucket
 *                                                         (one upsert per bucket), the inbox rows processed.
 *
 * Counts, ledger and the processed mark commit together, so each event counts once without per-event facts.
 * The module writes more than this (billing states and analytics facts that let a host's sinks and listeners
 * run outside the transaction, click recounts): the gap between the two is the price of those features.
 */
const { createEventSource } = require('./payloads');

const INGEST_BATCH = 100;
const PROCESS_BATCH = 500;
const RANK = { sent: 1, delivered: 2, read: 3, clicked: 4, failed: 5 };
const INBOX = ['id', 'idempotency_key', 'ncmessage_id', 'status', 'received_at', 'payload', 'state', 'attempts', 'duplicates', 'created_at'];
const INBOX_TYPES = ['varchar', 'varchar', 'varchar', 'varchar', 'bigint', 'text', 'varchar', 'integer', 'integer', 'bigint'];

/** `count` events as inbox rows (made before timing: a request hands them over parsed and keyed). */
function events(count, prefix, { idempotencyKey, timeOrderedId }) {
  const next = createEventSource(prefix);
  const out = [];
  let createdAt = Date.now();
  for (let i = 0; i < count; i++) {
    const item = next();
    const receivedAt = Number(item.received_at) * 1000;
    out.push({
      item,
      row: [timeOrderedId(++createdAt), idempotencyKey(item.ncmessage_id, item.status, receivedAt), item.ncmessage_id, item.status, receivedAt, JSON.stringify(item), 'pending', 0, 0, createdAt],
    });
  }
  return out;
}

/** What one processing transaction writes for `batch`, as plain rows. */
function processingRows(batch, now) {
  const messages = new Map();
  const charges = new Map();
  const voids = new Set();
  const counts = new Map();
  for (const { item, row } of batch) {
    const rank = RANK[item.status] ?? 0;
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

const PROCESSED_SQL = `SELECT COUNT(*) AS n FROM netcore_webhook_events WHERE "state" = 'processed'`;

/** A floor that wrote less than it claims would price nothing: every event must have been stored and processed. */
function checkProcessed(n, batches) {
  const expected = batches.reduce((sum, b) => sum + b.length, 0);
  if (Number(n) !== expected) throw new Error(`floor: ${n} inbox rows processed, expected ${expected}`);
}

function sqliteFloor(location, batches) {
  const Database = require('better-sqlite3');
  const db = new Database(location, { fileMustExist: true, timeout: 5000 });
  // The demo app's settings (src/demo/database-options.ts).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  // No checkpoint in this thread: the demo app runs them in a worker (SqliteWalCheckpointer).
  db.pragma('wal_autocheckpoint = 0');
  const statements = new Map();
  const insert = (table, columns, rows, suffix = '') => {
    if (!rows.length) return;
    const key = `${table}|${rows.length}`;
    let s = statements.get(key);
    if (!s) {
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      s = db.prepare(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${suffix}`);
      statements.set(key, s);
    }
    s.run(rows.flat());
  };
  const update = (sql, values) => {
    if (!values.length) return;
    const key = `${sql}|${values.length}`;
    let s = statements.get(key);
    if (!s) statements.set(key, (s = db.prepare(sql.replace('(?)', `(${values.map(() => '?').join(', ')})`))));
    s.run(values);
  };
  const ingest = db.transaction((batch) => {
    for (let i = 0; i < batch.length; i += INGEST_BATCH) insert('netcore_webhook_events', INBOX, batch.slice(i, i + INGEST_BATCH).map((e) => e.row), SQL.inboxConflict);
  });
  const processBatch = db.transaction((batch) => {
    const now = Date.now();
    const w = processingRows(batch, now);
    insert('netcore_messages', MESSAGE, w.messages, SQL.message('netcore_messages'));
    insert('netcore_billing_records', CHARGE, w.charges, SQL.charge);
    update(`UPDATE netcore_billing_records SET "state" = 'voided', "voided_at" = ${now} WHERE "ncmessage_id" IN (?)`, w.voids);
    insert('netcore_analytics_daily_counts', COUNT, w.counts, SQL.count('netcore_analytics_daily_counts'));
    update(`UPDATE netcore_webhook_events SET "state" = 'processed', "processed_at" = ${now} WHERE "id" IN (?)`, w.ids);
  });
  try {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let ingestCpuUs = 0;
    for (const batch of batches) {
      const before = process.cpuUsage();
      ingest(batch);
      const spent = process.cpuUsage(before);
      ingestCpuUs += spent.user + spent.system;
      processBatch(batch);
    }
    const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
    const { user, system } = process.cpuUsage(cpu);
    checkProcessed(db.prepare(PROCESSED_SQL).get().n, batches);
    return { wallSec, nodeCpuSec: (user + system) / 1e6, ingestNodeCpuSec: ingestCpuUs / 1e6, databaseCpuSec: null };
  } finally {
    db.close();
  }
}

async function postgresFloor(location, batches, databaseCpuSeconds) {
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
      const w = processingRows(batch, now);
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
    const databaseCpuSec = databaseCpuSeconds() - dbCpu;
    checkProcessed((await client.query(PROCESSED_SQL)).rows[0].n, batches);
    return { wallSec, nodeCpuSec: (user + system) / 1e6, databaseCpuSec };
  } finally {
    await client.end();
  }
}

/**
 * Runs the floor for `count` events on a migrated database (`kind`: sqlite or postgres) and answers its cost:
 * wall time and CPU seconds of this process (SQLite's work included) and of PostgreSQL.
 */
async function measureFloor(kind, location, count, prefix, { root, databaseCpuSeconds }) {
  const { join } = require('node:path');
  const ids = {
    idempotencyKey: require(join(root, 'dist', 'netcore-webhooks', 'ingest', 'idempotency-key')).idempotencyKey,
    timeOrderedId: require(join(root, 'dist', 'netcore-webhooks', 'ingest', 'time-ordered-id')).timeOrderedId,
  };
  const all = events(count, prefix, ids);
  const batches = [];
  for (let i = 0; i < all.length; i += PROCESS_BATCH) batches.push(all.slice(i, i + PROCESS_BATCH));
  const cost = kind === 'sqlite' ? sqliteFloor(location, batches) : await postgresFloor(location, batches, databaseCpuSeconds);
  return { events: count, ...cost };
}

module.exports = { measureFloor };
