import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { NETCORE_SAMPLE_PAYLOADS } from '../src/testing';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const SECRET = 'packaged-host-secret';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
/** What the host app itself depends on besides the library's peers. */
const HOST_PACKAGES = ['@nestjs/platform-express', 'better-sqlite3', 'pg', 'typescript', '@types/node'];
/**
 * Where the Nest packages this jest run loads are installed: the repository's (Nest 11), or the Nest 12 ones of
 * .ci/nest12 in the Nest 12 run (its setup file sets the variable).
 */
const NEST_MODULES = process.env.NETCORE_TEST_NEST_MODULES ?? join(ROOT, 'node_modules');
const NEST_MAJOR = JSON.parse(readFileSync(join(NEST_MODULES, '@nestjs/core/package.json'), 'utf8')).version.split('.')[0] as string;
/**
 * A fresh ESM host as `nest new` 12 makes it, installing the tarball from the registry as a user would. It does
 * not depend on which Nest this jest run loads, so only the run on the repository's own packages builds it.
 */
const ESM_HOST_DEPENDENCIES = {
  '@nestjs/common': '^12.0.0',
  '@nestjs/core': '^12.0.0',
  '@nestjs/platform-express': '^12.0.0',
  '@nestjs/event-emitter': '^12.0.0',
  '@nestjs/swagger': '^12.0.0',
  '@nestjs/typeorm': '^12.0.0',
  typeorm: '^1.1.0',
  pg: '^8.0.0',
  'class-transformer': '^0.5.1',
  'class-validator': '^0.15.1',
  'prom-client': '^15.0.0',
  'reflect-metadata': '^0.2.0',
  rxjs: '^7.8.0',
};
const ESM_HOST_DEV_DEPENDENCIES = { typescript: '~6.0.0', '@types/node': '^20.19.0' };
const describeEsmHost = process.env.NETCORE_TEST_NEST_MODULES ? describe.skip : describe;

/**
 * Packs the library as npm would publish it and installs the tarball into host apps in a temporary folder outside
 * the repository: they compile against the published declarations, boot, receive Netcore's samples signed with the
 * testing entry, store them and fire their `@OnEvent` listeners.
 */
describe('the published package', () => {
  let work: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'netcore-webhooks-package-'));
    await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed.filename);
    files = packed.files.map((f) => f.path);
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('contains the compiled library with declarations, the licence and the changelog, and neither sources, maps, tests nor the demo app', () => {
    const meta = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];
    expect(files).toEqual(expect.arrayContaining([...meta, 'dist/index.js', 'dist/index.d.ts', 'dist/testing.js', 'dist/testing.d.ts']));
    expect(files.some((f) => /^dist\/netcore-webhooks\/migrations\/(postgres|sqlite)\/\d{13}-.+\.js$/.test(f))).toBe(true);
    expect(files.filter((f) => !f.startsWith('dist/') && !meta.includes(f))).toEqual([]);
    expect(files.filter((f) => /^dist\/(main|app\.module)\.|^dist\/demo\/|\.spec\.|\.map$/.test(f))).toEqual([]);
  });

  describe(`in a CommonJS host app (peers linked: Nest ${NEST_MAJOR})`, () => {
    let host: string;

    beforeAll(async () => {
      host = join(work, 'host-commonjs');
      mkdirSync(host);
      cpSync(join(ROOT, 'test/fixtures/packaged-host'), host, { recursive: true });
      writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'packaged-host', private: true, dependencies: { [pkg.name]: `file:${tarball}` } }));
      // Peers are not installed (--legacy-peer-deps): they are linked below, so this host runs on the Nest this jest
      // run loads. The library's own small dependencies come from npm's cache, filled by this repository's install.
      await run('npm', ['install', '--prefer-offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: host });
      for (const name of [...Object.keys(pkg.peerDependencies), ...HOST_PACKAGES]) {
        if (pkg.peerDependenciesMeta?.[name]?.optional) continue; // the host app does without them
        mkdirSync(dirname(join(host, 'node_modules', name)), { recursive: true });
        const from = name.startsWith('@nestjs/') ? NEST_MODULES : join(ROOT, 'node_modules');
        symlinkSync(join(from, name), join(host, 'node_modules', name), 'dir');
      }
    }, 180_000);

    it('depends only on small leaf libraries, and names Nest, TypeORM and the rest as peers', () => {
      const installed = JSON.parse(readFileSync(join(host, 'node_modules', pkg.name, 'package.json'), 'utf8'));
      for (const name of Object.keys(installed.dependencies ?? {})) expect(Object.keys(installed.peerDependencies)).not.toContain(name);
      expect(Object.keys(installed.peerDependencies)).toEqual(expect.arrayContaining(['@nestjs/common', '@nestjs/core', 'typeorm', 'class-validator']));
    });

    it('exposes the library entry and the testing entry through its exports map, and nothing deeper', async () => {
      // Resolved by Node in the host folder, as the host app would (jest has a resolver of its own).
      const node = (code: string) => run(process.execPath, ['-e', code], { cwd: host });
      const resolve = (specifier: string) => node(`process.stdout.write(require.resolve(${JSON.stringify(specifier)}))`);
      expect((await resolve(pkg.name)).stdout).toBe(join(host, 'node_modules', pkg.name, 'dist/index.js'));
      expect((await resolve(`${pkg.name}/testing`)).stdout).toBe(join(host, 'node_modules', pkg.name, 'dist/testing.js'));
      await expect(resolve(`${pkg.name}/dist/netcore-webhooks/netcore-webhooks.module.js`)).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
      // The testing helpers live only under /testing, as @nestjs/testing lives beside @nestjs/core.
      const { stdout } = await node(
        `const main = require(${JSON.stringify(pkg.name)}), testing = require(${JSON.stringify(`${pkg.name}/testing`)});` +
          `process.stdout.write(JSON.stringify([typeof main.signNetcorePayload, typeof testing.signNetcorePayload, typeof testing.buildWebhookPayload]))`,
      );
      expect(JSON.parse(stdout)).toEqual(['undefined', 'function', 'function']);
    });

    it('compiles a TypeScript host app against the published declarations, both entries', async () => {
      await run(process.execPath, [join(host, 'node_modules/typescript/bin/tsc'), '-p', host], { cwd: host });
    }, 120_000);

    describe.each(DATABASES)('on %s', (kind) => {
      it('migrates its database, boots, stores the signed samples and fires its listeners', () => receivesSamples(host, kind));
    });
  });

  describeEsmHost('in an ESM Nest 12 host app ("type": "module") installed from the registry with no npm flags', () => {
    let host: string;

    beforeAll(async () => {
      host = join(work, 'host-esm');
      mkdirSync(host);
      cpSync(join(ROOT, 'test/fixtures/packaged-host'), host, { recursive: true });
      writeFileSync(
        join(host, 'package.json'),
        JSON.stringify({
          name: 'packaged-host-esm',
          private: true,
          type: 'module',
          dependencies: { [pkg.name]: `file:${tarball}`, ...ESM_HOST_DEPENDENCIES },
          devDependencies: ESM_HOST_DEV_DEPENDENCIES,
        }),
      );
      // Plain npm install: the peer ranges must accept Nest 12 as they are (no --legacy-peer-deps, no --force).
      // --prefer-offline only reads npm's cache first; install scripts stay off (npm 11's default).
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: host });
      // The SQLite driver is the repository's build: better-sqlite3 compiles from source here (about 2 minutes).
      symlinkSync(join(ROOT, 'node_modules/better-sqlite3'), join(host, 'node_modules/better-sqlite3'), 'dir');
    }, 300_000);

    it('installs the Nest 12 packages with every peer range satisfied', async () => {
      const { stdout } = await run('npm', ['ls', '--json', '--omit=dev', '@nestjs/core', '@nestjs/typeorm', '@nestjs/event-emitter', '@nestjs/swagger'], { cwd: host });
      const tree = JSON.parse(stdout) as { dependencies: Record<string, { version: string }>; problems?: string[] };
      expect(tree.problems ?? []).toEqual([]);
      for (const name of ['@nestjs/core', '@nestjs/typeorm', '@nestjs/event-emitter', '@nestjs/swagger']) {
        expect(tree.dependencies[name].version).toMatch(/^12\./);
      }
    });

    it('imports the library entry and the testing entry from ESM', async () => {
      const code =
        `const main = await import(${JSON.stringify(pkg.name)}), testing = await import(${JSON.stringify(`${pkg.name}/testing`)});` +
        `process.stdout.write(JSON.stringify([typeof main.NetcoreWebhooksModule, typeof main.signNetcorePayload, typeof testing.signNetcorePayload]))`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: host });
      expect(JSON.parse(stdout)).toEqual(['function', 'undefined', 'function']);
    });

    it('compiles as ESM against the published declarations', async () => {
      await run(process.execPath, [join(host, 'node_modules/typescript/bin/tsc'), '-p', host], { cwd: host });
      expect(readFileSync(join(host, 'dist/main.js'), 'utf8')).toMatch(/^import [^;]+ from 'netcore-webhooks';$/m);
    }, 120_000);

    describe.each(DATABASES)('on %s', (kind) => {
      it('migrates its database, boots, stores the signed samples and fires its listeners', () => receivesSamples(host, kind));
    });
  });
});

/**
 * Boots the host app on a fresh database, posts Netcore's samples as its signed-samples script (the testing entry)
 * signs them, and expects each stored and announced by the host's listener; a wrong signature gets 401.
 */
async function receivesSamples(host: string, kind: TestDatabase['kind']): Promise<void> {
  const db = await createTestDatabase(kind);
  let child: ChildProcess | undefined;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, NETCORE_WEBHOOK_SECRET: SECRET, DATABASE_URL: '', DATABASE_PATH: '' };
    if (db.options.type === 'postgres') env.DATABASE_URL = String(db.options.url);
    else env.DATABASE_PATH = String(db.options.database);
    const { stdout } = await run(process.execPath, [join(host, 'dist/signed-samples.js')], { cwd: host, env });
    const samples = stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; body: string; signature: string });
    expect(samples.map((s) => s.name).sort()).toEqual(Object.keys(NETCORE_SAMPLE_PAYLOADS).sort());

    child = spawn(process.execPath, [join(host, 'dist/main.js')], { cwd: host, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(child);
    const port = Number((await output.line(/^listening (\d+)$/))[1]);
    const post = (body: string, signature: string) =>
      fetch(`http://127.0.0.1:${port}/webhooks/netcore`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-netcore-signature': signature }, body });

    for (const sample of samples) {
      const res = await post(sample.body, sample.signature);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    }
    expect((await post(samples[0].body, samples[1].signature)).status).toBe(401);

    for (const [status, payload] of Object.entries(NETCORE_SAMPLE_PAYLOADS)) {
      await output.line(new RegExp(`^event message\\.${status} ${payload.delivery_status[0].ncmessage_id}$`));
    }
    expect(await storedStatus(db, NETCORE_SAMPLE_PAYLOADS.read.delivery_status[0].ncmessage_id)).toBe('read');
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await db.drop();
  }
}

/** The child's stdout by line, to wait for a line; rejects with its output when it exits or a line is late. */
function collect(child: ChildProcess): { line(pattern: RegExp): Promise<RegExpExecArray> } {
  let out = '';
  let err = '';
  let exited: number | null | undefined;
  const waiting = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const check of waiting) check();
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.once('exit', (code) => {
    exited = code;
    for (const check of waiting) check();
  });
  return {
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no line ${pattern} within 20 s:\n${err}${out}`)), 20_000);
        const check = () => {
          const match = out.split('\n').map((l) => pattern.exec(l)).find(Boolean);
          if (match) done(undefined, match);
          else if (exited !== undefined) done(new Error(`host app exited with ${exited} before ${pattern}:\n${err}${out}`));
        };
        const done = (error?: Error, match?: RegExpExecArray) => {
          clearTimeout(timer);
          waiting.delete(check);
          if (error) reject(error);
          else resolve(match!);
        };
        waiting.add(check);
        check();
      }),
  };
}

/** Reads the message state straight from the host's database once the event was processed. */
async function storedStatus(db: TestDatabase, id: string): Promise<string | undefined> {
  // Reads only: no migrations, and no `journal_mode = WAL`, which would try to convert the host's database
  // under it and fail with SQLITE_BUSY (without waiting) while the host holds a write lock.
  const options = { ...(db.options as DataSourceOptions), migrationsRun: false };
  if (options.type === 'better-sqlite3') Object.assign(options, { enableWAL: false });
  const dataSource = await new DataSource(options).initialize();
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      const [row] = (await dataSource.query(`SELECT status FROM netcore_messages WHERE ncmessage_id = '${id}'`)) as { status: string }[];
      if (row) return row.status;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  } finally {
    await dataSource.destroy();
  }
}
