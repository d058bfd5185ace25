import { NetcoreDeadLetterService, type NetcoreBillingSink, NetcoreInboxService } from '../src';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { RecordingBillingSink } from './fixtures/recording-sinks';
import { byMessage, expectedOutcome, expectedRow, shuffled } from './support/billing-model';
import { CapturingLogger } from './support/capturing-logger';
import { seededRandom, simulateDay } from './support/simulated-day';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

jest.setTimeout(60_000);

const SEED = 2026;

/**
 * A host's billing service that fails at random in every way a remote service fails, behind the module on two
 * instances sharing one PostgreSQL (one instance on SQLite, its single-instance set-up). Whatever the faults,
 * once everything is sent the service must hold for each message what an independent model of the billing
 * rules says: billable → charged; failed without delivered or read → voided; nothing billable → nothing.
 */
describe.each(DATABASES)('billing through a flaky host sink, a shuffled day with duplicates (%s)', (kind) => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const loggers: CapturingLogger[] = [];
  const sink = new RecordingBillingSink();
  sink.chaos = { random: seededRandom(SEED), throwBefore: 0.25, throwAfter: 0.15, slow: 0.2 };

  const callsPerInstance: number[] = [];
  /** Instance `i`'s client of the one billing service: counts the calls it makes. */
  const instanceSink = (i: number): NetcoreBillingSink => {
    callsPerInstance[i] = 0;
    const counted = <T>(call: (args: T) => Promise<void>) => (args: T) => (callsPerInstance[i]++, call.call(sink, args));
    return { charge: counted(sink.charge), void: counted(sink.void), restore: counted(sink.restore) };
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const instances = kind === 'postgres' ? 2 : 1;
    for (let i = 0; i < instances; i++) {
      const logger = new CapturingLogger();
      loggers.push(logger);
      apps.push(
        await startHostApp(
          kind,
          {
            // One billing service behind both instances, as a host's would be.
            extras: { billingSink: { useFactory: () => instanceSink(i) } },
            webhooks: { retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 50 }, recovery: { sweepIntervalMs: 20, batchSize: 50 } },
          },
          { db, logger },
        ),
      );
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
  });

  it.each([SEED, 7, 42])('ends with every message in the state the model gives, each idempotency key applied once (day seed %i)', async (seed) => {
    const random = seededRandom(seed + 1);
    const day = simulateDay(seed, 500, 60);
    const events = shuffled(day.batches.flat(), random);
    // Requests of 1 to 40 events, each to a random instance; a tenth sent again to another (Netcore retrying).
    const requests: { app: TestApp; items: NetcoreDeliveryStatusItem[] }[] = [];
    for (let i = 0; i < events.length; ) {
      const size = 1 + Math.floor(random() * 40);
      const items = events.slice(i, i + size);
      i += size;
      const to = Math.floor(random() * apps.length);
      requests.push({ app: apps[to], items });
      if (random() < 0.1) requests.push({ app: apps[(to + 1) % apps.length], items: shuffled(items, random) });
    }
    for (let i = 0; i < requests.length; i += 4) {
      await Promise.all(requests.slice(i, i + 4).map(({ app, items }) => postSigned(app.app, buildWebhookPayload(...items)).expect(200)));
    }

    await waitFor(
      'both instances idle and the billing outbox sent',
      async () => {
        await Promise.all(apps.map((app) => app.settle()));
        if (sink.owing || sink.inFlight) return false;
        const received = sink.received.length;
        await Promise.all(apps.map((app) => app.settle()));
        return sink.received.length === received && sink.owing === 0 && sink.inFlight === 0;
      },
      { timeoutMs: 40_000, intervalMs: 50 },
    );

    const messages = byMessage(day.batches.flat());
    const expected = day.messageIds.map((id) => ({ id, state: expectedOutcome(messages.get(id)!) }));
    const actual = day.messageIds.map((id) => ({ id, state: sink.stateOf(id) }));
    expect(actual).toEqual(expected);
    // Each charge carries the message's pricing (every event of a simulated message has the same).
    for (const id of day.messageIds) {
      const row = expectedRow(messages.get(id)!);
      const charge = sink.callsFor(id).find((c) => c.call === 'charge');
      expect(charge && { id, category: charge.args.category, pricingModel: charge.args.pricingModel }).toEqual(
        row ? { id, category: row.category, pricingModel: row.pricingModel } : undefined,
      );
    }

    // The day covers every outcome, and the faults did happen: calls repeated, a key never applied twice.
    const states = new Set(expected.map((e) => e.state));
    expect([...states].sort()).toEqual(['charged', 'none', 'voided']);
    const ids = new Set(day.messageIds);
    const received = sink.received.filter((c) => ids.has(c.args.ncmessageId));
    const applied = sink.calls.filter((c) => ids.has(c.args.ncmessageId));
    expect(received.length).toBeGreaterThan(applied.length);
    const keys = applied.map((c) => c.args.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    // Nest's Logger instances write to the last app's logger: the lines of both instances are in one of these.
    expect(loggers.some((l) => /Billing sink failed/.test(l.text()))).toBe(true);
    // Both instances took part in the relay (each has its own view of the one service).
    expect(callsPerInstance.every((n) => n > 0)).toBe(true);

    // Nothing went to the dead letters or failed in the inbox; no instance logged an error.
    expect((await apps[0].app.get(NetcoreDeadLetterService).list({ state: 'open' })).total).toBe(0);
    expect(await apps[0].app.get(NetcoreInboxService).stats()).toMatchObject({ pending: 0, failed: 0, dead: 0 });
    expect(loggers.flatMap((l) => l.lines.filter((line) => line.level === 'error' || line.level === 'fatal'))).toEqual([]);
  });
});
