'use strict';
// A backlog written straight into the inbox while the app is down (as after an outage or a crash), for
// measuring how fast the app's start-up sweep processes it with no HTTP load: processing alone, without the
// load generator and the webhook requests sharing the two cores.
const { join } = require('node:path');
const { createEventSource } = require('./payloads');

const ROOT = join(__dirname, '..', '..');
const ROWS_PER_STATEMENT = 500;
/** The inbox's columns as the webhook endpoint fills them, and their PostgreSQL types (for `unnest`). */
const COLUMNS = ['id', 'idempotency_key', 'ncmessage_id', 'status', 'received_at', 'payload', 'duplicates', 'created_at'];
const TYPES = ['varchar', 'varchar', 'varchar', 'varchar', 'bigint', 'text', 'integer', 'bigint'];
/** The work row stored with each new event (same id and created_at): pending, unclaimed, never tried. */
const WORK_COLUMNS = ['id', 'state', 'attempts', 'created_at'];
const WORK_TYPES = ['varchar', 'varchar', 'integer', 'bigint'];

/**
 * `count` bench events (`item`) and the inbox rows the webhook endpoint stores for them (`row`, in COLUMNS
 * order) with their pending work rows (`work`, in WORK_COLUMNS order): same key, id and payload forms, oldest first.
 */
function* inboxRows(count, prefix) {
  // The module's own key and id functions (built), so the rows are exactly what a request would have stored.
  const { idempotencyKey } = require(join(ROOT, 'dist', 'netcore-webhooks', 'ingest', 'idempotency-key'));
  const { timeOrderedId } = require(join(ROOT, 'dist', 'netcore-webhooks', 'ingest', 'time-ordered-id'));
  const next = createEventSource(prefix);
  let createdAt = Date.now() - count;
  for (let i = 0; i < count; i++) {
    const item = next();
    const receivedAtMs = Number(item.received_at) * 1000;
    createdAt++;
    const id = timeOrderedId(createdAt);
    yield {
      item,
      row: [
        id,
        idempotencyKey(item.ncmessage_id, item.status, receivedAtMs),
        item.ncmessage_id,
        item.status,
        receivedAtMs,
        JSON.stringify(item),
        0,
        createdAt,
      ],
      work: [id, 'pending', 0, createdAt],
    };
  }
}

/** Writes the backlog into the (migrated) inbox of an SQLite file or a PostgreSQL database. */
async function prefillInbox(kind, location, count, prefix) {
  const events = [...inboxRows(count, prefix)];
  if (kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const db = new Database(location, { fileMustExist: true, timeout: 5000 });
    try {
      const insert = (table, columns) => db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      const insertEvent = insert('netcore_webhook_events', COLUMNS);
      const insertWork = insert('netcore_inbox_work', WORK_COLUMNS);
      db.transaction(() => {
        for (const { row, work } of events) {
          insertEvent.run(...row);
          insertWork.run(...work);
        }
      })();
    } finally {
      db.close();
    }
    return;
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: location });
  await client.connect();
  try {
    const unnest = (table, columns, types) =>
      `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
    const eventSql = unnest('netcore_webhook_events', COLUMNS, TYPES);
    const workSql = unnest('netcore_inbox_work', WORK_COLUMNS, WORK_TYPES);
    const byColumn = (rows, width) => Array.from({ length: width }, (_, c) => rows.map((row) => row[c]));
    let chunk = [];
    const flush = async () => {
      if (!chunk.length) return;
      await client.query(eventSql, byColumn(chunk.map((e) => e.row), COLUMNS.length));
      await client.query(workSql, byColumn(chunk.map((e) => e.work), WORK_COLUMNS.length));
      chunk = [];
    };
    for (const event of events) {
      chunk.push(event);
      if (chunk.length === ROWS_PER_STATEMENT) await flush();
    }
    await flush();
    // Statistics as a running system would have them; the app's claims are planned on them.
    await client.query('ANALYZE netcore_webhook_events');
    await client.query('ANALYZE netcore_inbox_work');
  } finally {
    await client.end();
  }
}

module.exports = { prefillInbox, inboxRows, INBOX_COLUMNS: COLUMNS, INBOX_TYPES: TYPES, WORK_COLUMNS, WORK_TYPES };
