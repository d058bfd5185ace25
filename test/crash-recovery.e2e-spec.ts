import { DataSource, In } from 'typeorm';
import { NetcoreMessage, NetcoreWebhookEvent } from '../src';
import { buildWebhookPayload, signNetcorePayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { DemoProcess, buildDemoApp, freePort } from './support/demo-process';
import { openDatabase } from './support/open-database';
import { batches, buildTraffic, expectedStatuses } from './support/reliability';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { TEST_SECRET } from './support/webhook-client';

jest.setTimeout(180_000);

/** POSTs one signed batch; true only for a 200 (an acknowledgement Netcore would not retry). */
async function send(url: string, items: NetcoreDeliveryStatusItem[]): Promise<boolean> {
  const body = JSON.stringify(buildWebhookPayload(...items));
  try {
    const res = await fetch(`${url}/webhooks/netcore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-netcore-signature': signNetcorePayload(body, TEST_SECRET) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return res.status === 200;
  } catch {
    return false; // connection reset by the kill: not acknowledged
  }
}

beforeAll(() => buildDemoApp());

describe.each(DATABASES)('crash of the demo app under load (%s)', (kind) => {
  let db: TestDatabase;
  let demo: DemoProcess;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const options = db.options as { url?: string; database?: string };
    demo = new DemoProcess(await freePort(), {
      NETCORE_WEBHOOK_SECRET: TEST_SECRET,
      ...(kind === 'postgres' ? { DATABASE_URL: options.url! } : { DATABASE_PATH: options.database! }),
      NETCORE_RECOVERY_LEASE_MS: '1000',
      NETCORE_RECOVERY_SWEEP_INTERVAL_MS: '100',
    });
  });
  afterAll(async () => {
    await demo?.kill();
    await ds?.destroy();
    await db?.drop();
  });

  it('processes every acknowledged event after a SIGKILL and a restart, none twice', async () => {
    await demo.start();
    const { items } = buildTraffic(150, 'crash');
    const pending = batches(items, 4);
    const acknowledged: NetcoreDeliveryStatusItem[] = [];
    const unacknowledged: NetcoreDeliveryStatusItem[] = [];
    let killing: Promise<void> | null = null;
    // 8 concurrent senders; the process is killed once a third of the batches were acknowledged.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let batch = pending.shift(); batch; batch = pending.shift()) {
          const ok = killing ? false : await send(demo.url, batch);
          (ok ? acknowledged : unacknowledged).push(...batch);
          if (!killing && acknowledged.length >= items.length / 3) killing = demo.kill();
        }
      }),
    );
    await killing;
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(unacknowledged.length).toBeGreaterThan(0);

    ds = await openDatabase(db);
    const inbox = ds.getRepository(NetcoreWebhookEvent);
    const key = (i: NetcoreDeliveryStatusItem) => `${i.ncmessage_id}|${i.status}|${Number(i.received_at) * 1000}`;
    // What the killed process left behind; the restart must finish it (usually some rows, none when it was idle).
    const leftBehind = await inbox.countBy({ state: In(['pending', 'failed']) });
    if (process.env.NETCORE_TEST_VERBOSE) process.stderr.write(`crash test (${kind}): ${acknowledged.length} acknowledged, ${leftBehind} rows unprocessed at the kill\n`);
    await demo.start();
    await waitFor('every acknowledged event processed after the restart', async () =>
      (await inbox.countBy({ idempotencyKey: In(acknowledged.map(key)), state: 'processed' })) === acknowledged.length,
    );

    // Netcore retries what was not acknowledged; those end processed too, stored once.
    for (const batch of batches(unacknowledged, 4)) expect(await send(demo.url, batch)).toBe(true);
    await waitFor('every event processed', async () => (await inbox.countBy({ state: 'processed' })) === items.length);
    expect(await inbox.count()).toBe(items.length);
    expect(await inbox.countBy({ state: In(['pending', 'failed', 'dead']) })).toBe(0);

    // In effect once: each message's state is exactly what its events make it, clicks counted once each.
    const messages = await ds.getRepository(NetcoreMessage).findBy({ ncmessageId: In([...new Set(items.map((i) => i.ncmessage_id))]) });
    const byId = new Map(messages.map((m) => [m.ncmessageId, m]));
    for (const [id, status] of expectedStatuses(items)) {
      const clicks = items.filter((i) => i.ncmessage_id === id && i.status === 'clicked').length;
      expect({ id, status: byId.get(id)?.status, clicks: byId.get(id)?.clickCount }).toEqual({ id, status, clicks });
    }
    await demo.stop();
  });
});
