'use strict';
// A backlog written straight into the inbox while the app is down (as after an outage or a crash), for
// measuring how fast the app's start-up sweep processes it with no HTTP load: processing alone, without the
// load generator and the webhook requests sharing the two cores.
const { join } = require('node:path');
const { createEventSource } = require('./payloads');

const ROOT = join(__dirname, '..', '..');
const ROWS_PER_STATEMENT = 500;
/** The inbox's columns as the webhook endpoint fills them, and their PostgreSQL types (for `unnest`). */
const COLUMNS = ['id', 'idempotency_key', 'ncmessage_id', 'status', 'received_at', 'payload', 'state', 'attempts', 'duplicates', 'created_at'];
const TYPES = ['varchar', 'varchar', 'varchar', 'varchar', 'bigint', 'text', 'varchar', 'integer', 'integer', 'bigint'];

/**
 * `count` bench events (`item`) and the pending inbox rows the webhook endpoint stores for them (`row`, in
 * COLUMNS order): same key, id and payload forms, oldest first.
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
    yield {
      item,
      row: [
        timeOrderedId(createdAt),
        idempotencyKey(item.ncmessage_id, item.status, receivedAtMs),
        item.ncmessage_id,
        item.status,
        receivedAtMs,
        JSON.stringify(item),
        'pending',
        0,
        0,
        createdAt,
      ],
    };
  }
}

/** Writes the backlog into the (migrated) inbox of an SQLite file or a PostgreSQL database. */
async function prefillInbox(kind, location, count, prefix) {
  const rows = [...inboxRows(count, prefix)].map((e) => e.row);
  if (kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const db = new Database(location, { fileMustExist: true, timeout: 5000 });
    try {
      const insert = db.prepare(`INSERT INTO netcore_webhook_events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const row of rows) insert.run(...row);
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
    const sql =
      `INSERT INTO netcore_webhook_events (${COLUMNS.join(', ')}) ` +
      `SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
    let chunk = [];
    const flush = async () => {
      if (!chunk.length) return;
      await client.query(sql, COLUMNS.map((_, c) => chunk.map((row) => row[c])));
      chunk = [];
    };
    for (const row of rows) {
      chunk.push(row);
      if (chunk.length === ROWS_PER_STATEMENT) await flush();
    }
    await flush();
    // Statistics as a running system would have them; the app's claims are planned on them.
    await client.query('ANALYZE netcore_webhook_events');
  } finally {
    await client.end();
  }
}

module.exports = { prefillInbox, inboxRows, INBOX_COLUMNS: COLUMNS, INBOX_TYPES: TYPES };
