'use strict';
/*
 * npm run bench [-- --duration 10 --connections 50 --events 1,10,100 --databases sqlite,postgres
 *                   --adapters express,fastify --rounds 3 --warmup 2 --backlog 100000 --backlog-instances 2
 *                   --cpu-prof --update-readme]
 *
 * Starts the demo app (dist/main.js: signature verification and database on) and a bare Nest app on the
 * same adapter (HTTP_ADAPTER: Express, then Fastify) as separate processes, drives each in turn with autocannon in its own process (bare, then
 * module, for every case, so noise hits both), waits for the processing backlog to drain, and writes
 * bench/results/<stamp>.json, bench/results/latest.{json,md}. Server and load generator share the machine.
 *
 * Then, per database, a backlog of --backlog events (0: none) written into the inbox while the app is down
 * is timed from the app's start until processed: processing alone, with no webhook requests or load generator.
 * On PostgreSQL, the same backlog again on --backlog-instances app processes (2; 1 skips it): the scale-out case.
 *
 * Last, the database's floor for --floor events (0: none): the fewest writes a correct receiver makes per event,
 * by a bare script (bench/support/floor.js) on the module's inbox and on the leanest inbox of any design, and
 * the CPU that floor alone needs at the targets' rates. With a 100-event case in the same run, what the
 * 100-event targets leave per event for the module's own work once the floor, a bare endpoint and the load
 * generator are paid, next to what the module took.
 */
const { fork, execFileSync } = require('node:child_process');
const { mkdtempSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join, resolve } = require('node:path');
const net = require('node:net');
const { prefillInbox } = require('./support/backlog');
const { measureFloor } = require('./support/floor');

const ROOT = resolve(__dirname, '..');
const RESULTS = join(__dirname, 'results');
const SECRET = 'bench-secret-0b7e';
const PATH = '/webhooks/netcore';

/** The load the 100-event targets speak of ("backlog drained within 2 s after a 10 s load"). */
const LOAD_SEC = 10;
const TARGETS = {
  // events per request -> database -> target
  1: {
    sqlite: { ratio: 0.6, p99: 50 },
    postgres: { ratio: 0.5, p99: 50 },
  },
  100: {
    sqlite: { eventsPerSec: 40000, p99: 250, drainSec: 2 },
    postgres: { eventsPerSec: 30000, p99: 250, drainSec: 2 },
  },
};

function parseArgs(argv) {
  const args = {
    duration: 10,
    warmup: 2,
    connections: 50,
    events: [1, 10, 100],
    rounds: 3,
    databases: process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'],
    adapters: ['express', 'fastify'],
    cpuProf: false,
    updateReadme: false,
    drainTimeout: 120,
    backlog: 100000,
    floor: 100000,
    backlogInstances: 2,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--duration') args.duration = Number(value());
    else if (a === '--warmup') args.warmup = Number(value());
    else if (a === '--connections') args.connections = Number(value());
    else if (a === '--rounds') args.rounds = Number(value());
    else if (a === '--events') args.events = value().split(',').map(Number);
    else if (a === '--databases') args.databases = value().split(',');
    else if (a === '--adapters') args.adapters = value().split(',');
    else if (a === '--drain-timeout') args.drainTimeout = Number(value());
    else if (a === '--backlog') args.backlog = Number(value());
    else if (a === '--backlog-instances') args.backlogInstances = Number(value());
    else if (a === '--floor') args.floor = Number(value());
    else if (a === '--cpu-prof') args.cpuProf = true;
    else if (a === '--update-readme') args.updateReadme = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(__filename, 'utf8').split('*/')[0] + '*/\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  for (const d of args.databases) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`unknown database ${d}`);
  for (const a of args.adapters) if (a !== 'express' && a !== 'fastify') throw new Error(`unknown adapter ${a}`);
  if (args.databases.includes('postgres') && !process.env.DATABASE_URL) {
    throw new Error('--databases postgres needs DATABASE_URL (a role that may CREATE DATABASE; a fresh database is created)');
  }
  if (args.events.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--events takes positive integers');
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error('--rounds takes a positive integer');
  if (!Number.isInteger(args.backlog) || args.backlog < 0) throw new Error('--backlog takes a whole number of events (0: none)');
  if (!Number.isInteger(args.backlogInstances) || args.backlogInstances < 1) throw new Error('--backlog-instances takes a whole number of app processes (1: none extra)');
  if (!Number.isInteger(args.floor) || args.floor < 0) throw new Error('--floor takes a whole number of events (0: none)');
  return args;
}

function log(line) {
  process.stdout.write(`[bench] ${line}\n`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function waitForPort(port, child, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening`);
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`server did not listen on ${port} within ${timeoutMs} ms`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds (user + system) the process used so far; a noise-resistant cost next to req/s. With
 * `mainThread`, only its main thread's (JavaScript, and a synchronous SQLite driver's work, run there).
 */
function cpuSeconds(pid, { mainThread = false } = {}) {
  try {
    const fields = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** CPU seconds of every PostgreSQL process on this machine (server and backends); null when none is visible. */
function postgresCpuSeconds() {
  let total = null;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let name;
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // the process ended meanwhile
    }
    const seconds = name === 'postgres' ? cpuSeconds(pid) : null;
    if (seconds !== null) total = (total ?? 0) + seconds;
  }
  return total;
}

async function startServer({ script, env, logFile, cpuProfDir }) {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const execArgv = ['-r', join(__dirname, 'support', 'exit-on-signal.js')];
  if (cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  const child = fork(script, [], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), NODE_ENV: 'production' },
    execArgv,
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  await waitForPort(port, child);
  return {
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGUSR2');
      await Promise.race([exited, sleep(10000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function runLoad({ port, duration, connections, eventsPerRequest, idPrefix }) {
  return new Promise((res, rej) => {
    const worker = fork(join(__dirname, 'support', 'load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    worker.once('message', res);
    worker.once('error', rej);
    worker.once('exit', (code) => code && rej(new Error(`load generator exited with ${code}`)));
    worker.send({ url: `http://127.0.0.1:${port}${PATH}`, duration, connections, eventsPerRequest, secret: SECRET, idPrefix });
  });
}

// Events by state: a work row's state ('pending', 'failed', 'dead'), and 'processed' for an event without one
// (every work row has its event: the events less the work rows, one statement, so one snapshot).
const COUNTS_SQL =
  'SELECT state, COUNT(*) AS n FROM netcore_inbox_work GROUP BY state UNION ALL ' +
  "SELECT 'processed' AS state, (SELECT COUNT(*) FROM netcore_webhook_events) - (SELECT COUNT(*) FROM netcore_inbox_work) AS n";
// Polled every 100 ms while draining: whether any event is left, from the first entry of the work rows' partial
// index (the query repeats its predicate). Counting the backlog instead took 50 ms of PostgreSQL's CPU per poll
// under a 100,000-row backlog, a third of a core taken from the drain it measures.
const PENDING_SQL = `SELECT EXISTS (SELECT 1 FROM netcore_inbox_work WHERE "state" IN ('pending', 'failed')) AS n`;

/** Counts inbox events by state, from outside the server (a second SQLite connection, or a pg client). */
async function openInbox(kind, location) {
  if (kind === 'sqlite') {
    const Database = require('better-sqlite3');
    let db;
    const open = () => (db ??= new Database(location, { readonly: true, fileMustExist: true, timeout: 5000 }));
    return {
      async counts() {
        const rows = open().prepare(COUNTS_SQL).all();
        return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
      },
      async anyPending() {
        return Boolean(open().prepare(PENDING_SQL).get().n);
      },
      async close() {
        db?.close();
      },
    };
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: location });
  await client.connect();
  return {
    async counts() {
      const { rows } = await client.query(COUNTS_SQL);
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },
    async anyPending() {
      const { rows } = await client.query(PENDING_SQL);
      return Boolean(rows[0].n);
    },
    async close() {
      await client.end();
    },
  };
}

async function createPostgresDatabase(adminUrl) {
  const { Client } = require('pg');
  const name = `nw_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    version,
    async drop() {
      // Only the database this run created.
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch (error) {
        log(`could not drop ${name} (drop it by hand): ${error.message}`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Polls the inbox until no row is pending; returns seconds after the load stopped, and the final counts. */
async function waitForDrain(inbox, loadEnded, timeoutSec) {
  const deadline = loadEnded + timeoutSec * 1000;
  let pending = await inbox.anyPending();
  while (pending && Date.now() < deadline) {
    await sleep(100);
    pending = await inbox.anyPending();
  }
  const drainSec = pending ? null : (Date.now() - loadEnded) / 1000;
  return { drainSec, counts: await inbox.counts() };
}

function summarise(load, eventsPerRequest) {
  const seconds = load.duration;
  return {
    requests: load.requests,
    ok: load.ok,
    non2xx: load.non2xx,
    errors: load.errors,
    timeouts: load.timeouts,
    statusCounts: load.statusCounts,
    reqPerSec: load.ok / seconds,
    eventsPerSec: (load.ok * eventsPerRequest) / seconds,
    p50: load.latency.p50,
    p90: load.latency.p90,
    p99: load.latency.p99,
    max: load.latency.max,
    // Without each connection's first answer, which also waited for the server to accept the connection.
    p99OpenConnections: load.openConnectionLatency.p99,
    seconds,
    loadCpuUsPerRequest: (load.cpuSec * 1e6) / Math.max(1, load.requests),
  };
}

function verdicts(c) {
  const t = TARGETS[c.eventsPerRequest]?.[c.database];
  if (!t) return [];
  const out = [];
  if (t.ratio !== undefined) out.push({ what: 'ratio to bare', target: `>= ${t.ratio.toFixed(2)}`, measured: c.ratio.toFixed(2), ok: c.ratio >= t.ratio });
  if (t.eventsPerSec !== undefined) {
    out.push({ what: 'events/s', target: `>= ${t.eventsPerSec}`, measured: Math.round(c.module.eventsPerSec), ok: c.module.eventsPerSec >= t.eventsPerSec });
  }
  if (t.p99 !== undefined) out.push({ what: 'p99 ack', target: `< ${t.p99} ms`, measured: `${c.module.p99} ms`, ok: c.module.p99 < t.p99 });
  if (t.drainSec !== undefined) {
    out.push({
      what: 'backlog drained',
      target: `<= ${t.drainSec} s`,
      measured: c.drainSec === null ? 'not drained' : `${c.drainSec.toFixed(2)} s`,
      ok: c.drainSec !== null && c.drainSec <= t.drainSec,
    });
  }
  return out;
}

function fmt(n, digits = 0) {
  return n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function markdown(result) {
  const m = result.machine;
  const lines = [
    `Measured ${result.date} on ${m.cores} cores (${m.cpu}), Node ${m.node}, Nest ${m.versions['@nestjs/core']}, ` +
      `TypeORM ${m.versions.typeorm}, better-sqlite3 ${m.versions['better-sqlite3']} (SQLite ${m.sqlite})` +
      (m.postgres ? `, PostgreSQL ${m.postgres}` : '') +
      `. ${result.options.connections} connections, ${result.options.duration} s per run after a ` +
      `${result.options.warmup} s warm-up; ${result.options.rounds ?? 1} round(s) of bare then module per case, and each row is ` +
      `the round with the median ratio (all its figures from that round). Server and load generator (autocannon) share the same ${m.cores} cores.`,
    '',
    '| adapter | database | events/req | bare req/s | module req/s | ratio | ratio per round | events/s | p50 | p99 | p99 on open connections | backlog drained after | end-to-end events/s | server CPU per event (bare per request) | RSS before → after | targets |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of result.cases) {
    const v = verdicts(c);
    const targets = v.length ? v.map((x) => `${x.ok ? 'PASS' : 'MISS'} ${x.what} ${x.measured} (${x.target})`).join('; ') : '-';
    lines.push(
      `| ${c.adapter} | ${c.database} | ${c.eventsPerRequest} | ${fmt(c.bare.reqPerSec)} | ${fmt(c.module.reqPerSec)} | ${c.ratio.toFixed(2)} | ` +
        `${(c.rounds ?? [c]).map((r) => r.ratio.toFixed(2)).join(', ')} | ` +
        `${fmt(c.module.eventsPerSec)} | ${c.module.p50} ms | ${c.module.p99} ms | ${c.module.p99OpenConnections ?? '-'} ms | ` +
        `${c.drainSec === null ? 'not drained' : `${c.drainSec.toFixed(2)} s`} | ${fmt(c.endToEndEventsPerSec)} | ` +
        `${fmt(c.serverCpuUsPerEvent)} µs (${fmt(c.bareCpuUsPerRequest)} µs) | ` +
        `${c.rssBeforeMb} → ${c.rssAfterMb} MB | ${targets} |`,
    );
  }
  if (result.backlogs?.length) {
    lines.push(
      '',
      `A backlog processed with no load: ${fmt(result.options.backlog)} events written into the inbox while the app was down (as after ` +
        'an outage), timed from the app listening until none is pending. Processing alone, without webhook requests or the load generator.',
      '',
      '| database | app processes | events | drained in | events/s | server CPU per event | PostgreSQL CPU per event | listener runs | failed |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const b of result.backlogs) {
      lines.push(
        `| ${b.database} | ${b.instances ?? 1} | ${fmt(b.events)} | ${b.drainSec === null ? 'not drained' : `${b.drainSec.toFixed(2)} s`} | ${fmt(b.eventsPerSec)} | ` +
          `${fmt(b.serverCpuUsPerEvent)} µs | ${b.postgresCpuUsPerEvent === null ? '-' : `${fmt(b.postgresCpuUsPerEvent)} µs`} | ${b.listenerRuns ?? '-'} | ${b.failedOrDead} |`,
      );
    }
  }
  if (result.floors?.length) {
    lines.push(
      '',
      `The database's floor: ${fmt(result.options.floor)} events written by a bare script (bench/support/floor.js, no Nest, TypeORM, HTTP, ` +
        'JSON, signature or validation) with the fewest writes a correct receiver makes: the inbox rows (a statement per 100-event ' +
        'request, five requests a transaction), then per 500 events one transaction with the message upserts, ledger entries, daily ' +
        'counts and what marks the events processed. Inbox *schema*: the module\'s own, each event stored with a work row, deleted ' +
        'once processed. *Lean*: the leanest ' +
        'inbox of any design (an integer key, the idempotency key\'s unique index and the payload, each row written once, one cursor row ' +
        `moved per transaction); the other tables are the module's. *Needed at the target*: the CPU this floor alone takes to store a ${LOAD_SEC} s ` +
        `load at the 100-event target rate and process it by the end of the drain the target allows (${LOAD_SEC + TARGETS[100].sqlite.drainSec} s), ` +
        `on ${result.machine.cores} cores shared with the HTTP server and the load generator.`,
      '',
      '| database | inbox | events | took | this process CPU per event | of it in write transactions (ingest + processing) | PostgreSQL CPU per event | needed at the target |',
      '|---|---|---:|---:|---:|---:|---:|---|',
    );
    for (const f of result.floors) {
      const { eventsPerSec: rate, drainSec } = TARGETS[100][f.database];
      // A 10 s load stored, and processed by the end of the drain the target allows.
      const share = (us) => ((rate * LOAD_SEC * us) / 1e6 / (LOAD_SEC + drainSec)).toFixed(2);
      const needed =
        f.database === 'sqlite'
          ? `${share(f.writerCpuUsPerEvent)} of SQLite's one writer thread (${share(f.nodeCpuUsPerEvent)} cores in all) at ${fmt(rate)} events/s`
          : `${share(f.postgresCpuUsPerEvent)} cores of PostgreSQL + ${share(f.nodeCpuUsPerEvent)} of its client at ${fmt(rate)} events/s`;
      lines.push(
        `| ${f.database} | ${f.layout ?? 'schema'} | ${fmt(f.events)} | ${f.wallSec.toFixed(2)} s | ${fmt(f.nodeCpuUsPerEvent)} µs | ` +
          `${f.writerCpuUsPerEvent === null ? '-' : `${fmt(f.writerCpuUsPerEvent)} µs (${fmt(f.ingestWriterCpuUsPerEvent)} + ${fmt(f.writerCpuUsPerEvent - f.ingestWriterCpuUsPerEvent)})`} | ` +
          `${f.postgresCpuUsPerEvent === null ? '-' : `${fmt(f.postgresCpuUsPerEvent)} µs`} | ${needed} |`,
      );
    }
  }
  const budgets = targetBudgets(result);
  if (budgets.length) {
    lines.push(
      '',
      `What the 100-event targets leave for the module on this machine: the CPU per event there is at the target rate (a ${LOAD_SEC} s load ` +
        'stored and processed by the end of the drain allowed), less what any receiver spends: the database\'s floor (above, the lower ' +
        'of its two inboxes), a bare ' +
        'Nest endpoint taking the same 100-event requests (the case\'s bare run), and the load generator (autocannon\'s process in the ' +
        'module\'s run, making and signing the bodies). *Now*: what the module\'s 100-event run took per event (server and PostgreSQL ' +
        'CPU, drain included) plus the load generator, to be read against the CPU per event there is.',
      '',
      '| database | CPU counted | there is, per event | floor | bare endpoint | load generator | left for the module\'s own work | now |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
    );
    const us = (n) => (n === null ? '-' : `${fmt(n, 1)} µs`);
    for (const b of budgets) {
      const left = b.budget - b.floor - b.bare - (b.load ?? 0);
      const now = b.module + (b.load ?? 0);
      lines.push(
        `| ${b.database} | ${b.scope} | ${us(b.budget)} | ${us(b.floor)} (${b.layout ?? 'schema'}) | ${us(b.bare)} | ${us(b.load)} | ${us(left)} | ` +
          `${us(now)} (${(now / b.budget).toFixed(1)}× what there is) |`,
      );
    }
  }
  const errors = result.cases.filter((c) => c.module.non2xx || c.module.errors || c.bare.non2xx || c.bare.errors);
  if (errors.length) {
    lines.push('', `Non-2xx answers or socket errors: ${errors.map((c) => `${c.adapter}/${c.database}/${c.eventsPerRequest}: ${JSON.stringify(c.module.statusCounts)} errors=${c.module.errors}`).join('; ')}`);
  }
  return lines.join('\n');
}

/**
 * Per database with a floor and a 100-event case: the CPU per event the machine has at the 100-event target
 * (`budget`), what the floor, a bare endpoint and the load generator take of it, and what the module took.
 * SQLite also against one thread: better-sqlite3 runs its statements on the main thread, with the JavaScript.
 */
function targetBudgets(result) {
  const budgets = [];
  const lowest = new Map();
  for (const f of result.floors ?? []) {
    const cost = (x) => x.nodeCpuUsPerEvent + (x.postgresCpuUsPerEvent ?? 0);
    if (!lowest.has(f.database) || cost(f) < cost(lowest.get(f.database))) lowest.set(f.database, f);
  }
  for (const f of lowest.values()) {
    const c = result.cases.find((x) => x.eventsPerRequest === 100 && x.database === f.database);
    const t = TARGETS[100][f.database];
    if (!c || !t || c.module.loadCpuUsPerRequest === undefined) continue;
    const perEvent = (threads) => (threads * (LOAD_SEC + t.drainSec) * 1e6) / (t.eventsPerSec * LOAD_SEC);
    const row = { database: f.database, adapter: c.adapter, layout: f.layout };
    if (f.database === 'sqlite') {
      budgets.push({
        ...row,
        scope: 'the main thread',
        budget: perEvent(1),
        // Only the floor's write transactions: its rows were made before timing, and a checkpoint runs elsewhere.
        floor: f.writerCpuUsPerEvent,
        bare: c.bare.mainThreadCpuUsPerRequest / 100,
        load: null,
        module: c.serverMainThreadCpuUsPerEvent,
      });
    }
    budgets.push({
      ...row,
      scope: `all ${result.machine.cores} cores`,
      budget: perEvent(result.machine.cores),
      floor: f.nodeCpuUsPerEvent + (f.postgresCpuUsPerEvent ?? 0),
      bare: c.bare.cpuUsPerRequest / 100,
      load: c.module.loadCpuUsPerRequest / 100,
      module: c.serverCpuUsPerEvent + (c.postgresCpuUsPerEvent ?? 0),
    });
  }
  return budgets;
}

function versionOf(pkg) {
  try {
    return require(join(ROOT, 'node_modules', pkg, 'package.json')).version;
  } catch {
    return 'n/a';
  }
}

function machine(pgVersion) {
  let sqlite = 'n/a';
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    sqlite = db.prepare('SELECT sqlite_version() AS v').get().v;
    db.close();
  } catch {}
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model?.trim() ?? 'unknown',
    node: process.version,
    sqlite,
    postgres: pgVersion ?? null,
    versions: Object.fromEntries(['@nestjs/core', '@nestjs/platform-express', '@nestjs/platform-fastify', 'typeorm', 'better-sqlite3', 'pg', 'autocannon'].map((p) => [p, versionOf(p)])),
  };
}

function updateReadme(table) {
  const readme = join(ROOT, 'docs', 'performance.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/performance.md has no ${start} ... ${end} block to update`);
  writeFileSync(readme, `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`);
}

/** One round of a case: the bare app, then the module, then the module's backlog drained. */
async function runRound({ label, database, bare, server, inbox, common, idPrefix, drainTimeout }) {
  const { eventsPerRequest } = common;
  log(`${label}: bare Nest`);
  const bareCpu = cpuSeconds(bare.pid);
  const bareMainCpu = cpuSeconds(bare.pid, { mainThread: true });
  const bareLoad = summarise(await runLoad({ ...common, port: bare.port, idPrefix: `${idPrefix}b` }), eventsPerRequest);
  bareLoad.cpuUsPerRequest = ((cpuSeconds(bare.pid) - bareCpu) * 1e6) / Math.max(1, bareLoad.ok);
  bareLoad.mainThreadCpuUsPerRequest = ((cpuSeconds(bare.pid, { mainThread: true }) - bareMainCpu) * 1e6) / Math.max(1, bareLoad.ok);
  const before = await inbox.counts();
  const rssBeforeMb = rssMb(server.pid);
  log(`${label}: module`);
  const started = Date.now();
  const moduleCpu = cpuSeconds(server.pid);
  const moduleMainCpu = cpuSeconds(server.pid, { mainThread: true });
  const pgCpu = database === 'postgres' ? postgresCpuSeconds() : null;
  const moduleLoad = summarise(await runLoad({ ...common, port: server.port, idPrefix: `${idPrefix}m` }), eventsPerRequest);
  const loadEnded = Date.now();
  const atEnd = await inbox.counts();
  const { drainSec, counts } = await waitForDrain(inbox, loadEnded, drainTimeout);
  // Server CPU for ingest and processing of this run's events, per event (drain included).
  const moduleCpuSec = cpuSeconds(server.pid) - moduleCpu;
  const moduleMainCpuSec = cpuSeconds(server.pid, { mainThread: true }) - moduleMainCpu;
  const pgCpuSec = pgCpu === null ? null : postgresCpuSeconds() - pgCpu;
  const perEvent = (sec) => (sec * 1e6) / Math.max(1, moduleLoad.ok * eventsPerRequest);
  const rssAfterMb = rssMb(server.pid);
  const total = (c) => Object.values(c).reduce((a, b) => a + b, 0);
  const stored = total(counts) - total(before);
  const processed = (counts.processed ?? 0) - (before.processed ?? 0);
  const c = {
    bare: bareLoad,
    module: moduleLoad,
    ratio: moduleLoad.reqPerSec / bareLoad.reqPerSec,
    storedEvents: stored,
    pendingAtLoadEnd: atEnd.pending ?? 0,
    drainSec,
    processedEvents: processed,
    failedOrDead: (counts.failed ?? 0) + (counts.dead ?? 0),
    endToEndEventsPerSec: drainSec === null ? null : processed / ((loadEnded - started) / 1000 + drainSec),
    rssBeforeMb,
    rssAfterMb,
    serverCpuUsPerEvent: perEvent(moduleCpuSec),
    serverMainThreadCpuUsPerEvent: perEvent(moduleMainCpuSec),
    // The bench's own polling included (a few ms).
    postgresCpuUsPerEvent: pgCpuSec === null ? null : perEvent(pgCpuSec),
    bareCpuUsPerRequest: bareLoad.cpuUsPerRequest,
  };
  log(
    `${label}: bare ${fmt(bareLoad.reqPerSec)} req/s; module ${fmt(moduleLoad.reqPerSec)} req/s (${c.ratio.toFixed(2)}), ` +
      `${fmt(moduleLoad.eventsPerSec)} events/s, p50 ${moduleLoad.p50} ms, p99 ${moduleLoad.p99} ms ` +
      `(${moduleLoad.p99OpenConnections} ms on open connections), ` +
      `non-2xx ${moduleLoad.non2xx}, errors ${moduleLoad.errors}; pending at end ${c.pendingAtLoadEnd}, ` +
      `drained after ${drainSec === null ? 'TIMEOUT' : `${drainSec.toFixed(2)} s`}, stored ${stored}, processed ${processed}, ` +
      `failed ${c.failedOrDead}; RSS ${rssBeforeMb} -> ${rssAfterMb} MB; server CPU ${fmt(c.serverCpuUsPerEvent)} µs/event ` +
      `(bare ${fmt(c.bareCpuUsPerRequest)} µs/request)`,
  );
  return c;
}

/** An empty database for the demo app: its environment, where the bench reads the inbox, and (PostgreSQL) its drop. */
async function freshDatabase(database, sqlitePath) {
  if (database === 'postgres') {
    const pg = await createPostgresDatabase(process.env.DATABASE_URL);
    return { env: { DATABASE_URL: pg.url }, location: pg.url, pg };
  }
  return { env: { DATABASE_URL: '', DATABASE_PATH: sqlitePath }, location: sqlitePath };
}

/** A fresh database migrated by starting and stopping the demo app (Express) once; `env` starts it again. */
async function migratedDatabase(database, work, name) {
  const { env: databaseEnv, location, pg } = await freshDatabase(database, join(work, `${name}.sqlite`));
  const env = { NETCORE_WEBHOOK_SECRET: SECRET, HTTP_ADAPTER: 'express', ...databaseEnv };
  const logFile = join(work, `module-${name}-${database}.log`);
  try {
    await (await startServer({ script: join(ROOT, 'dist', 'main.js'), env, logFile })).stop();
  } catch (error) {
    await pg?.drop();
    throw error;
  }
  return { env, logFile, location, pg };
}

/**
 * A backlog processed with no load: the app is started once (migrations), stopped, `count` pending rows are
 * written into its inbox, and the app is started again; its start-up sweep takes them. Timed from the moment
 * it listens until no row is pending.
 */
async function runBacklog({ database, count, work, drainTimeout, cpuProfDir, instances = 1 }) {
  const label = `${database}, backlog of ${fmt(count)} events${instances > 1 ? ` on ${instances} app processes` : ''}`;
  const { env, logFile, location, pg } = await migratedDatabase(database, work, `backlog-${instances}`);
  try {
    log(`${label}: writing it into the inbox`);
    await prefillInbox(database, location, count, `k${process.pid.toString(36)}${Date.now().toString(36)}`);
    log(`${label}: app started, processing`);
    const servers = [];
    for (let i = 0; i < instances; i++) {
      const dir = cpuProfDir && join(cpuProfDir, `backlog-${database}${instances > 1 ? `-${i + 1}of${instances}` : ''}`);
      servers.push(await startServer({ script: join(ROOT, 'dist', 'main.js'), env, logFile, cpuProfDir: dir }));
    }
    const started = Date.now();
    const serverCpu = () => servers.reduce((sum, server) => sum + (cpuSeconds(server.pid) ?? 0), 0);
    const cpu = serverCpu();
    const pgCpu = database === 'postgres' ? postgresCpuSeconds() : null;
    const inbox = await openInbox(database, location);
    try {
      const { drainSec, counts } = await waitForDrain(inbox, started, drainTimeout);
      // Listener runs as the instances counted them: more than the events would mean an event processed twice.
      const listenerRuns = (await Promise.all(servers.map((server) => processedByListeners(server.port)))).reduce((a, b) => a + b, 0);
      const c = {
        database,
        instances,
        events: count,
        drainSec,
        eventsPerSec: drainSec === null ? null : (counts.processed ?? 0) / drainSec,
        processed: counts.processed ?? 0,
        listenerRuns,
        failedOrDead: (counts.failed ?? 0) + (counts.dead ?? 0),
        serverCpuUsPerEvent: ((serverCpu() - cpu) * 1e6) / Math.max(1, counts.processed ?? 0),
        // PostgreSQL's share, when it runs on this machine (the bench's own polling included, a few ms).
        postgresCpuUsPerEvent: pgCpu === null ? null : ((postgresCpuSeconds() - pgCpu) * 1e6) / Math.max(1, counts.processed ?? 0),
        rssAfterMb: rssMb(servers[0].pid),
      };
      log(
        `${label}: ${drainSec === null ? 'not drained' : `drained in ${drainSec.toFixed(2)} s, ${fmt(c.eventsPerSec)} events/s`}, ` +
          `processed ${c.processed} (listeners ran ${listenerRuns} times), failed ${c.failedOrDead}; server CPU ${fmt(c.serverCpuUsPerEvent)} µs/event` +
          (c.postgresCpuUsPerEvent === null ? '' : `, PostgreSQL CPU ${fmt(c.postgresCpuUsPerEvent)} µs/event`),
      );
      return c;
    } finally {
      await inbox.close();
      await Promise.all(servers.map((server) => server.stop()));
    }
  } finally {
    await pg?.drop();
  }
}

/** Events whose listeners ran to the end in one app process, from its `/metrics`. */
async function processedByListeners(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^netcore_webhooks_dispatch_latency_seconds_count\{outcome="processed"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The floor (bench/support/floor.js) on a freshly migrated database of the demo app. */
async function runFloor({ database, count, work, layout }) {
  const label = `${database}, floor of ${fmt(count)} events (${layout} inbox)`;
  const { location, pg } = await migratedDatabase(database, work, `floor-${layout}`);
  try {
    const prefix = `f${process.pid.toString(36)}${Date.now().toString(36)}`;
    const cost = await measureFloor(database, location, count, prefix, { databaseCpuSeconds: postgresCpuSeconds, layout });
    const f = {
      database,
      layout,
      events: count,
      wallSec: cost.wallSec,
      eventsPerSec: count / cost.wallSec,
      nodeCpuUsPerEvent: (cost.nodeCpuSec * 1e6) / count,
      writerCpuUsPerEvent: cost.writerCpuSec === null ? null : (cost.writerCpuSec * 1e6) / count,
      ingestWriterCpuUsPerEvent: cost.ingestWriterCpuSec === null ? null : (cost.ingestWriterCpuSec * 1e6) / count,
      postgresCpuUsPerEvent: cost.databaseCpuSec === null ? null : (cost.databaseCpuSec * 1e6) / count,
    };
    log(
      `${label}: ${f.wallSec.toFixed(2)} s, ${fmt(f.eventsPerSec)} events/s; this process ${fmt(f.nodeCpuUsPerEvent)} µs/event` +
        (f.writerCpuUsPerEvent === null ? '' : ` (${fmt(f.writerCpuUsPerEvent)} in write transactions, ${fmt(f.ingestWriterCpuUsPerEvent)} of it ingest)`) +
        (f.postgresCpuUsPerEvent === null ? '' : `, PostgreSQL ${fmt(f.postgresCpuUsPerEvent)} µs/event`),
    );
    return f;
  } finally {
    await pg?.drop();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run npm run build (npm run bench does)');
  mkdirSync(RESULTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'netcore-bench-'));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const cpuProfDir = args.cpuProf ? join(RESULTS, 'profiles', stamp) : undefined;
  log(`options ${JSON.stringify(args)}; logs and SQLite files in ${work}`);

  const cases = [];
  let pgVersion;
  for (const adapter of args.adapters) {
    const bare = await startServer({
      script: join(__dirname, 'support', 'bare-app.js'),
      env: { HTTP_ADAPTER: adapter },
      logFile: join(work, `bare-${adapter}.log`),
    });
    try {
      for (const database of args.databases) {
        for (const eventsPerRequest of args.events) {
          const label = `${adapter}, ${database}, ${eventsPerRequest} event(s)/request`;
          const { env: databaseEnv, location, pg } = await freshDatabase(database, join(work, `${adapter}-${eventsPerRequest}.sqlite`));
          if (pg) pgVersion = pg.version;
          const env = { NETCORE_WEBHOOK_SECRET: SECRET, HTTP_ADAPTER: adapter, ...databaseEnv };
          const server = await startServer({
            script: join(ROOT, 'dist', 'main.js'),
            env,
            logFile: join(work, `module-${adapter}-${database}-${eventsPerRequest}.log`),
            cpuProfDir: cpuProfDir && join(cpuProfDir, `${adapter}-${database}-${eventsPerRequest}`),
          });
          const inbox = await openInbox(database, location);
          try {
            const idPrefix = `b${process.pid.toString(36)}${Date.now().toString(36)}`;
            const common = { duration: args.duration, connections: args.connections, eventsPerRequest };
            if (args.warmup > 0) {
              log(`${label}: warm-up`);
              await runLoad({ ...common, duration: args.warmup, port: bare.port, idPrefix: `${idPrefix}w0` });
              await runLoad({ ...common, duration: args.warmup, port: server.port, idPrefix: `${idPrefix}w1` });
              await waitForDrain(inbox, Date.now(), args.drainTimeout);
            }
            // Rounds of (bare, module): the row shows the round with the median ratio, every figure from that round.
            const rounds = [];
            for (let round = 1; round <= args.rounds; round++) {
              const tag = args.rounds > 1 ? ` (round ${round}/${args.rounds})` : '';
              rounds.push(await runRound({ label: label + tag, database, bare, server, inbox, common, idPrefix: `${idPrefix}r${round}`, drainTimeout: args.drainTimeout }));
            }
            const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
            const c = {
              adapter,
              database,
              eventsPerRequest,
              ...byRatio[Math.floor((byRatio.length - 1) / 2)],
              rounds: rounds.map((r) => ({ ratio: r.ratio, bareReqPerSec: r.bare.reqPerSec, moduleReqPerSec: r.module.reqPerSec, p99: r.module.p99, drainSec: r.drainSec })),
            };
            cases.push(c);
          } finally {
            await inbox.close();
            await server.stop();
            await pg?.drop();
          }
        }
      }
    } finally {
      await bare.stop();
    }
  }

  const backlogs = [];
  if (args.backlog > 0) {
    for (const database of args.databases) backlogs.push(await runBacklog({ database, count: args.backlog, work, drainTimeout: args.drainTimeout, cpuProfDir }));
    // Scale-out: several app processes on one PostgreSQL share its CPU; what each event costs it should not grow.
    if (args.databases.includes('postgres') && args.backlogInstances > 1) {
      backlogs.push(await runBacklog({ database: 'postgres', count: args.backlog, work, drainTimeout: args.drainTimeout, cpuProfDir, instances: args.backlogInstances }));
    }
  }

  const floors = [];
  if (args.floor > 0) {
    for (const database of args.databases) {
      for (const layout of ['schema', 'lean']) floors.push(await runFloor({ database, count: args.floor, work, layout }));
    }
  }

  const result = { date: new Date().toISOString(), options: args, machine: machine(pgVersion), cases, backlogs, floors };
  const table = markdown(result);
  writeFileSync(join(RESULTS, `${stamp}.json`), JSON.stringify(result, null, 2));
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(result, null, 2));
  writeFileSync(join(RESULTS, 'latest.md'), `${table}\n`);
  process.stdout.write(`\n${table}\n\n`);
  log(`wrote bench/results/${stamp}.json and bench/results/latest.{json,md}${cpuProfDir ? `; CPU profiles in ${cpuProfDir}` : ''}`);
  if (args.updateReadme) {
    updateReadme(table);
    log('updated the tables in docs/performance.md');
  }
  if (process.env.BENCH_KEEP) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`[bench] ${error?.stack ?? error}\n`);
  process.exit(1);
});
