import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { NETCORE_SAMPLE_PAYLOADS, signNetcorePayload } from '../src';
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
 * Packs the library as npm would publish it, installs the tarball into a host app in a temporary folder outside
 * the repository, compiles the host against the published declarations and boots it. The install prefers
 * npm's cache; the peers are the repository's own packages, linked in.
 */
describe('the published package', () => {
  let work: string;
  let host: string;
  let files: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'netcore-webhooks-package-'));
    host = join(work, 'host');
    await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed.files.map((f) => f.path);

    mkdirSync(host);
    cpSync(join(ROOT, 'test/fixtures/packaged-host'), host, { recursive: true });
    writeFileSync(
      join(host, 'package.json'),
      JSON.stringify({ name: 'packaged-host', private: true, dependencies: { [pkg.name]: `file:${join(work, packed.filename)}` } }),
    );
    // Peers are not installed (--legacy-peer-deps): they are linked below. The library's own small dependencies
    // come from npm's cache, filled by this repository's install, or from the registry.
    await run('npm', ['install', '--prefer-offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: host });
    for (const name of [...Object.keys(pkg.peerDependencies), ...HOST_PACKAGES]) {
      if (pkg.peerDependenciesMeta?.[name]?.optional) continue; // the host app does without them
      mkdirSync(dirname(join(host, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(host, 'node_modules', name), 'dir');
    }
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('contains the compiled library with declarations, and neither sources, tests nor the demo app', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
    expect(files.some((f) => /^dist\/netcore-webhooks\/migrations\/(postgres|sqlite)\/\d{13}-.+\.js$/.test(f))).toBe(true);
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f))).toEqual([]);
    expect(files.filter((f) => /^dist\/(main|app\.module)\.|^dist\/demo\/|\.spec\./.test(f))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(host, 'node_modules', pkg.name, 'package.json'), 'utf8'));
    // Nest, TypeORM and the rest are peers the host already has; only small leaf libraries are dependencies.
    for (const name of Object.keys(installed.dependencies ?? {})) expect(Object.keys(installed.peerDependencies)).not.toContain(name);
    expect(Object.keys(installed.peerDependencies)).toEqual(expect.arrayContaining(['@nestjs/common', '@nestjs/core', 'typeorm', 'class-validator']));
  });

  it('exposes only the library entry through its exports map', async () => {
    // Resolved by Node in the host folder, as the host app would (jest has a resolver of its own).
    const resolve = (specifier: string) =>
      run(process.execPath, ['-e', `process.stdout.write(require.resolve(${JSON.stringify(specifier)}))`], { cwd: host });
    expect((await resolve(pkg.name)).stdout).toBe(join(host, 'node_modules', pkg.name, 'dist/index.js'));
    await expect(resolve(`${pkg.name}/dist/netcore-webhooks/netcore-webhooks.module.js`)).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('compiles a TypeScript host app against the published declarations', async () => {
    await run(process.execPath, [join(host, 'node_modules/typescript/bin/tsc'), '-p', host], { cwd: host });
  }, 120_000);

  describe.each(DATABASES)('a host app that installed the tarball (%s)', (kind) => {
    let child: ChildProcess | undefined;

    it('migrates its database, boots, and stores a signed webhook', async () => {
      const db = await createTestDatabase(kind);
      try {
        const env: NodeJS.ProcessEnv = { ...process.env, NETCORE_WEBHOOK_SECRET: SECRET, DATABASE_URL: '', DATABASE_PATH: '' };
        if (db.options.type === 'postgres') env.DATABASE_URL = String(db.options.url);
        else env.DATABASE_PATH = String(db.options.database);
        child = spawn(process.execPath, [join(host, 'dist/main.js')], { cwd: host, env, stdio: ['ignore', 'pipe', 'pipe'] });
        const port = await listeningPort(child);

        const body = JSON.stringify(NETCORE_SAMPLE_PAYLOADS.read);
        const res = await fetch(`http://127.0.0.1:${port}/webhooks/netcore`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-netcore-signature': signNetcorePayload(body, SECRET) },
          body,
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
        const bad = await fetch(`http://127.0.0.1:${port}/webhooks/netcore`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-netcore-signature': signNetcorePayload(body, 'other') },
          body,
        });
        expect(bad.status).toBe(401);

        const id = NETCORE_SAMPLE_PAYLOADS.read.delivery_status[0].ncmessage_id;
        expect(await storedStatus(db, id)).toBe('read');
      } finally {
        if (child && child.exitCode === null) {
          const exited = new Promise((resolve) => child!.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        await db.drop();
      }
    });
  });
});

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`host app exited with ${code} before listening:\n${err}${out}`)));
  });
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
