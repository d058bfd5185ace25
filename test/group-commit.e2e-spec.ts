import { DataSource } from 'typeorm';
import { NetcoreDeadLetter, NetcoreWebhookEvent } from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { NetcoreIngestService } from '../src/netcore-webhooks/ingest/netcore-ingest.service';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

/** A database-side refusal of one request's rows: a trigger that aborts inserts of one message id. */
async function refuseInsertsOf(dataSource: DataSource, ncmessageId: string): Promise<void> {
  const literal = `'${ncmessageId.replace(/'/g, "''")}'`;
  if (dataSource.options.type === 'postgres') {
    await dataSource.query(
      `CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN IF NEW.ncmessage_id = ${literal} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
    );
    await dataSource.query('CREATE TRIGGER refuse_poison BEFORE INSERT ON netcore_webhook_events FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
  } else {
    await dataSource.query(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON netcore_webhook_events WHEN NEW.ncmessage_id = ${literal} BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
  }
}

describe.each(DATABASES)('group commit of concurrent requests (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    // The refused inserts are logged as errors: kept, not printed.
    t = await startHostApp(kind, {}, { logger: new CapturingLogger() });
  });
  afterAll(() => t?.close());
  beforeEach(() => t.resetRecording());

  const inbox = () => t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
  /**
   * Hands several verified batches to the ingest service in the same tick, as concurrent requests whose bodies
   * were read together: their writes are certain to share one transaction. Settles each like a request.
   */
  const ingestTogether = (batches: unknown[][]) =>
    Promise.allSettled(batches.map((items) => t.app.get(NetcoreIngestService).ingest(items)));

  it('gives each request of a shared transaction its own counts, as if they had been stored one after another', async () => {
    const shared = buildDeliveryStatus({ status: 'delivered' });
    const batches = Array.from({ length: 12 }, (_, i) => {
      const own = Array.from({ length: 4 }, () => buildDeliveryStatus({ status: i % 2 ? 'read' : 'sent' }));
      return i === 0 ? [shared, ...own, shared] : [...own, shared];
    });
    const answers = await ingestTogether(batches);
    await t.settle();

    // The first request to bring the shared event stores it; every later arrival is a duplicate.
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : a.reason))).toEqual([
      { accepted: 5, duplicates: 1, rejected: 0 },
      ...batches.slice(1).map(() => ({ accepted: 4, duplicates: 1, rejected: 0 })),
    ]);
    const row = await inbox().findOneByOrFail({ ncmessageId: shared.ncmessage_id });
    expect(row.duplicates).toBe(12); // 13 arrivals of the shared event, one stored
    expect(t.recorder.received).toHaveLength(12 * 4 + 1);
    expect(new Set(t.recorder.received.map((r) => r.event.eventId)).size).toBe(12 * 4 + 1);
  });

  it('fails only the request whose rows the database refuses, storing the requests that shared its transaction', async () => {
    const poison = buildDeliveryStatus({ ncmessage_id: `poison-${Date.now()}` });
    await refuseInsertsOf(t.app.get(DataSource), poison.ncmessage_id);
    const good = Array.from({ length: 8 }, () => [buildDeliveryStatus(), buildDeliveryStatus({ status: 'read' })]);
    const [refused, ...answers] = await ingestTogether([[buildDeliveryStatus(), poison], ...good]);
    await t.settle();

    expect(refused.status).toBe('rejected');
    expect(refused.status === 'rejected' && (refused.reason as { getStatus(): number }).getStatus()).toBe(503);
    expect(answers.map((a) => a.status === 'fulfilled' && a.value)).toEqual(good.map(() => ({ accepted: 2, duplicates: 0, rejected: 0 })));
    expect(await inbox().countBy({ ncmessageId: poison.ncmessage_id })).toBe(0);
    for (const batch of good) {
      for (const item of batch) expect(await inbox().countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
    }
    expect(t.recorder.received).toHaveLength(16);

    // Over HTTP as well: the refused request gets 503 (Netcore retries it), the others 200.
    const http = await Promise.all([
      postSigned(t.app, buildWebhookPayload(poison)),
      ...good.slice(0, 3).map(() => postSigned(t.app, buildWebhookPayload(buildDeliveryStatus()))),
    ]);
    expect(http.map((r) => r.status)).toEqual([503, 200, 200, 200]);
  });

  it('answers concurrent HTTP requests each with its own counts', async () => {
    const shared = buildDeliveryStatus({ status: 'delivered' });
    const payloads = Array.from({ length: 10 }, () => buildWebhookPayload(buildDeliveryStatus(), shared));
    const answers = await Promise.all(payloads.map((p) => postSigned(t.app, p).expect(200)));
    await t.settle();
    expect(answers.reduce((n, a) => n + a.body.accepted, 0)).toBe(11);
    expect(answers.reduce((n, a) => n + a.body.duplicates, 0)).toBe(9);
    expect((await inbox().findOneByOrFail({ ncmessageId: shared.ncmessage_id })).duplicates).toBe(9);
    expect(t.recorder.received).toHaveLength(11);
  });

  it('stores a bad item brought by several requests of one transaction as one dead letter counting every occurrence', async () => {
    const bad = { ...buildDeliveryStatus(), received_at: `not-a-time-${Date.now()}` };
    const answers = await ingestTogether(Array.from({ length: 6 }, () => [bad, buildDeliveryStatus()]));
    expect(answers.map((a) => a.status === 'fulfilled' && a.value)).toEqual(answers.map(() => ({ accepted: 1, duplicates: 0, rejected: 1 })));
    const letters = await t.app
      .get(DataSource)
      .getRepository(NetcoreDeadLetter)
      .createQueryBuilder('d')
      .where('d.payload LIKE :p', { p: `%${bad.received_at}%` })
      .getMany();
    expect(letters).toHaveLength(1);
    expect(letters[0].occurrences).toBe(6);
  });
});
