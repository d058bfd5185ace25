import { NetcoreDeadLetterService, NetcoreInboxService } from '../src';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { RecordingBillingSink } from './fixtures/recording-sinks';
import { CapturingLogger } from './support/capturing-logger';
import { AT, lifecycle } from './support/lifecycle';
import { type TestApp } from './support/test-app';
import { deadCharge, startWithRecordingSink } from './support/recording-sink-app';
import { DATABASES } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

/** The sink's timeout on each call is `recovery.leaseMs`: small, so a stuck call is given up within the test. */
const LEASE_MS = 500;

/** `promise`, or a failure naming `description` once `ms` passed: a bound on waiting, not on speed. */
async function within<T>(description: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Gave up waiting for ${description} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function deliverOneByOne(t: TestApp, items: NetcoreDeliveryStatusItem[]): Promise<void> {
  for (const item of items) {
    await postSigned(t.app, buildWebhookPayload(item)).expect(200);
    await t.settle();
  }
}

describe.each(DATABASES)('the billing relay beside the inbox (%s)', (kind) => {
  let t: TestApp;
  let sink: RecordingBillingSink;
  let logger: CapturingLogger;
  beforeAll(async () => {
    ({ t, sink, logger } = await startWithRecordingSink(kind, { retry: { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 50 }, recovery: { leaseMs: LEASE_MS, sweepIntervalMs: 50 } }));
  });
  afterAll(() => t?.close());
  afterEach(async () => {
    await waitFor('the sink to be owed nothing', async () => {
      await t.settle();
      return sink.owing === 0 && sink.inFlight === 0;
    }, { timeoutMs: 10_000 });
  });

  const kindsFor = (id: string) => sink.callsFor(id).map((c) => c.call);
  const receivedFor = (id: string) => sink.received.filter((c) => c.args.ncmessageId === id).map((c) => c.call);
  const listenedFor = (id: string) => t.recorder.received.filter((r) => r.event.ncmessageId === id).map((r) => r.name);

  it(`processes other messages' events while a charge hangs, gives the charge up after recovery.leaseMs (${LEASE_MS} ms), retries it and applies it once`, async () => {
    const [stuck] = lifecycle(['sent']);
    const others = Array.from({ length: 5 }, () => lifecycle(['sent', 'delivered']));
    const hold = sink.holdNext();
    try {
      await postSigned(t.app, buildWebhookPayload(stuck)).expect(200);
      const entered = await within('the first charge to reach the sink', hold.entered);
      expect(entered).toMatchObject({ call: 'charge', args: { idempotencyKey: `${stuck.ncmessage_id}:charge` } });

      // The charge has not answered (and will not, until released): the inbox goes on with other messages.
      await Promise.all(others.map((items) => postSigned(t.app, buildWebhookPayload(...items)).expect(200)));
      await waitFor('the listener to see the events posted while the charge hangs', () =>
        others.every((items) => listenedFor(items[0].ncmessage_id).length === 2),
        { timeoutMs: 10_000 },
      );
      for (const items of others) expect(listenedFor(items[0].ncmessage_id).sort()).toEqual(['message.delivered', 'message.sent']);

      // The hanging call is given up and the charge sent again with the same key, which takes effect.
      await waitFor('the stuck charge to be retried and applied', () => sink.callsFor(stuck.ncmessage_id).length === 1, { timeoutMs: 10_000 });
      expect(receivedFor(stuck.ncmessage_id)).toEqual(['charge', 'charge']);
      expect(logger.text()).toMatch(
        new RegExp(`warn .*Billing sink failed on ${stuck.ncmessage_id}:charge, attempt 1; retry at .*: the billing sink did not answer within ${LEASE_MS} ms`),
      );
      for (const items of others) {
        await waitFor('the charges of the other messages', () => sink.callsFor(items[0].ncmessage_id).length === 1, { timeoutMs: 10_000 });
      }
    } finally {
      hold.release(); // the late answer of the first call: its key was applied already
    }
    await t.settle();
    expect(kindsFor(stuck.ncmessage_id)).toEqual(['charge']);
    expect(sink.callsFor(stuck.ncmessage_id)[0].args).toEqual({
      idempotencyKey: `${stuck.ncmessage_id}:charge`,
      ncmessageId: stuck.ncmessage_id,
      category: 'marketing',
      pricingModel: 'PMP',
      pricingType: 'regular',
      chargedAt: new Date(AT.sent * 1000),
    });
    expect(listenedFor(stuck.ncmessage_id)).toEqual(['message.sent']);
    expect(await t.app.get(NetcoreInboxService).stats()).toMatchObject({ pending: 0, failed: 0, dead: 0, unsentBillingCommands: 0 });
  });

  it('keeps the void of a message after a charge that answered later than recovery.leaseMs, in order', async () => {
    const [sent, failed] = lifecycle(['sent', 'failed']);
    const id = sent.ncmessage_id;
    const hold = sink.holdNext();
    try {
      await postSigned(t.app, buildWebhookPayload(sent)).expect(200);
      await within('the charge to reach the sink', hold.entered);
      await postSigned(t.app, buildWebhookPayload(failed)).expect(200);
      await waitFor('the charge and the void to be applied', () => sink.callsFor(id).length === 2, { timeoutMs: 10_000 });
    } finally {
      hold.release();
    }
    await t.settle();
    expect(receivedFor(id)).toEqual(['charge', 'charge', 'void']);
    expect(kindsFor(id)).toEqual(['charge', 'void']);
    expect(sink.stateOf(id)).toBe('voided');
  });

  it.each(['2025-12-02T10:00:00Z timeout', '2025-12-02T10:00:00Z', '2025-12-02T10:00:00.000Z'])(
    'passes a status_remark that looks like a date (%j) to the sink as the string it is',
    async (remark) => {
      const [sent, failed] = lifecycle(['sent', 'failed']);
      await deliverOneByOne(t, [sent, { ...failed, status_remark: remark }]);
      const id = sent.ncmessage_id;
      await waitFor('the void', () => sink.callsFor(id).length === 2, { timeoutMs: 10_000 });
      const [, voided] = sink.callsFor(id);
      expect(voided).toEqual({ call: 'void', args: { idempotencyKey: `${id}:void`, ncmessageId: id, reason: remark, voidedAt: new Date(AT.failed * 1000) } });
      expect(typeof (voided.args as { reason: unknown }).reason).toBe('string');
    },
  );
});

describe.each(DATABASES)('a hanging billing sink with the default-sized lease (%s)', (kind) => {
  /** Long enough that the events below are acknowledged and processed well before the hanging call is given up. */
  const LONG_LEASE_MS = 5000;
  let t: TestApp;
  let sink: RecordingBillingSink;
  let logger: CapturingLogger;
  beforeAll(async () => {
    ({ t, sink, logger } = await startWithRecordingSink(kind, { retry: { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 50 }, recovery: { leaseMs: LONG_LEASE_MS, sweepIntervalMs: 50 } }));
  });
  afterAll(() => t?.close());

  const listenedFor = (id: string) => t.recorder.received.filter((r) => r.event.ncmessageId === id).map((r) => r.name);

  it('processes the events of other messages while the charge hangs (PostgreSQL), or once it is given up (SQLite)', async () => {
    const [stuck] = lifecycle(['sent']);
    const others = Array.from({ length: 5 }, () => lifecycle(['sent', 'delivered']));
    const hold = sink.holdNext();
    let whileHanging: { acknowledged: boolean; processed: boolean; retried: boolean; givenUp: boolean } | undefined;
    try {
      await postSigned(t.app, buildWebhookPayload(stuck)).expect(200);
      await within('the first charge to reach the sink', hold.entered);
      const enteredAt = Date.now();
      let acknowledged = false;
      const posted = Promise.all(others.map((items) => postSigned(t.app, buildWebhookPayload(...items)).expect(200))).then(() => void (acknowledged = true));
      // Whichever comes first: the other events processed, or the hanging call given up. Only the first is right.
      whileHanging = await waitFor('the other events to be processed, or the hanging charge to be given up', () => {
        const processed = others.every((items) => listenedFor(items[0].ncmessage_id).length === 2);
        // The relay gives the call up once leaseMs ran out (its timer may fire before its log line is written).
        const givenUp = /did not answer within/.test(logger.text()) || Date.now() - enteredAt >= LONG_LEASE_MS;
        const retried = sink.received.filter((c) => c.args.ncmessageId === stuck.ncmessage_id).length > 1;
        return processed || givenUp ? { acknowledged, processed, retried, givenUp } : false;
      }, { timeoutMs: 3 * LONG_LEASE_MS });
      await posted;
    } finally {
      hold.release();
    }
    if (kind === 'sqlite') {
      // SQLite: sink calls run alone on TypeORM's one connection (a sink's own writes must never mix with the
      // module's transactions), so the stall lasts until the call is given up; then everything proceeds.
      expect(whileHanging).toMatchObject({ givenUp: true });
      await waitFor('the other events to be processed', () => others.every((items) => listenedFor(items[0].ncmessage_id).length === 2), { timeoutMs: 15_000 });
    } else {
      expect(whileHanging).toEqual({ acknowledged: true, processed: true, retried: false, givenUp: false });
    }
    await waitFor('the released charge to be applied', () => sink.callsFor(stuck.ncmessage_id).length === 1, { timeoutMs: 15_000 });
    await t.settle();
    expect(sink.callsFor(stuck.ncmessage_id).map((c) => c.call)).toEqual(['charge']);
  });
});

describe.each(DATABASES)('billing dead letters in the inbox stats (%s)', (kind) => {
  let t: TestApp;
  let sink: RecordingBillingSink;
  let logger: CapturingLogger;
  beforeAll(async () => {
    ({ t, sink, logger } = await startWithRecordingSink(kind, { retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 50 }, recovery: { sweepIntervalMs: 50 } }));
  });
  afterAll(() => t?.close());

  it('counts the dead charge as an open billing dead letter and it and the void behind it as unsent; a replay with the sink fixed brings both to 0', async () => {
    const inbox = t.app.get(NetcoreInboxService);
    const healthy = lifecycle(['sent', 'failed']);
    await deliverOneByOne(t, healthy);
    expect(sink.stateOf(healthy[0].ncmessage_id)).toBe('voided');
    expect(await inbox.stats()).toMatchObject({ openDeadLetters: { validation: 0, processing: 0, billing: 0, total: 0 }, unsentBillingCommands: 0 });

    const items = lifecycle(['sent', 'failed']);
    const id = items[0].ncmessage_id;
    const letter = await deadCharge({ t, sink, logger }, items);
    expect(receivedFor()).toEqual(['charge']);
    expect(logger.text()).toMatch(new RegExp(`error .*Billing sink failed on ${id}:charge on attempt 1; moved to the dead letters: host billing service refuses`));

    const stats = await inbox.stats();
    expect(stats.openDeadLetters).toEqual({ validation: 0, processing: 0, billing: 1, total: 1 });
    expect(stats.unsentBillingCommands).toBe(2); // the dead charge, and the void held behind it
    expect(stats).toMatchObject({ pending: 0, failed: 0, dead: 0 }); // the inbox events themselves went through

    sink.failFor.delete(id);
    expect(await t.app.get(NetcoreDeadLetterService).replay(letter.id)).toEqual({ id: letter.id, outcome: 'replayed' });
    await waitFor('the void to follow the replayed charge', () => sink.callsFor(id).length === 2, { timeoutMs: 10_000 });
    await t.settle();
    expect(sink.callsFor(id).map((c) => c.call)).toEqual(['charge', 'void']);
    const after = await inbox.stats();
    expect(after.openDeadLetters).toEqual({ validation: 0, processing: 0, billing: 0, total: 0 });
    expect(after.unsentBillingCommands).toBe(0);

    function receivedFor() {
      return sink.received.filter((c) => c.args.ncmessageId === id).map((c) => c.call);
    }
  });
});
