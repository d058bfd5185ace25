import { In } from 'typeorm';
import { NetcoreDeadLetterService, NetcoreInboxService } from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { FaultPlan } from './fixtures/reliability/fault-plan';
import { FIXTURE_LEDGER } from './fixtures/reliability/ledger.entities';
import { LEDGER_PROVIDERS } from './fixtures/reliability/ledger.listener';
import { CapturingLogger } from './support/capturing-logger';
import { storedEvent, storedEvents } from './support/inbox-rows';
import { batches, buildTraffic, expectedStatuses, tables } from './support/reliability';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

jest.setTimeout(60_000);

const fast = { sweepIntervalMs: 50, leaseMs: 30_000, batchSize: 50 };

describe.each(DATABASES)('retries and dead letters (%s)', (kind) => {
  describe('a billing-like listener that fails about 30% of its calls at random', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startHostApp(
        kind,
        { providers: LEDGER_PROVIDERS, webhooks: { retry: { maxAttempts: 25, baseDelayMs: 5, maxDelayMs: 40 }, recovery: fast } },
        // The failures are logged (warnings, errors for dead letters): kept, not printed.
        { ...FIXTURE_LEDGER, logger: new CapturingLogger() },
      );
    });
    afterAll(() => t?.close());

    it('ends with every event processed, one effect per event and exactly one charge per billable message', async () => {
      const faults = t.app.get(FaultPlan);
      faults.failureRate = 0.3;
      const { items, billable } = buildTraffic(40, 'flaky');
      for (const batch of batches(items, 7)) {
        await postSigned(t.app, buildWebhookPayload(...batch)).expect(200);
      }
      const inboxService = t.app.get(NetcoreInboxService);
      await waitFor('the inbox to drain', async () => {
        const s = await inboxService.stats();
        return s.pending + s.failed === 0 && s.processed >= items.length;
      });
      const { effects, charges, messages, deadLetters } = tables(t.app);
      const ids = [...new Set(items.map((i) => i.ncmessage_id))];
      const rows = await storedEvents(t.app, { ncmessageId: In(ids) });
      expect(rows).toHaveLength(items.length);
      expect(rows.every((r) => r.state === 'processed')).toBe(true);
      // The faults did happen and were retried: some events needed more than one call.
      expect(faults.calls).toBeGreaterThan(items.length);

      const done = await effects.findBy({ ncmessageId: In(ids) });
      expect(done).toHaveLength(items.length);
      expect(done.filter((e) => e.deliveries !== 1)).toEqual([]);
      const charged = await charges.findBy({ ncmessageId: In(ids) });
      expect(new Set(charged.map((c) => c.ncmessageId))).toEqual(billable);
      expect(await deadLetters.countBy({ eventId: In(rows.map((r) => r.id)) })).toBe(0);
      for (const [id, status] of expectedStatuses(items)) {
        expect({ id, status: (await messages.findOne(id))?.status }).toEqual({ id, status });
      }
    });
  });

  describe('a listener that always fails for one message', () => {
    let t: TestApp;
    let faults: FaultPlan;
    const maxAttempts = 3;
    beforeAll(async () => {
      t = await startHostApp(
        kind,
        { providers: LEDGER_PROVIDERS, webhooks: { retry: { maxAttempts, baseDelayMs: 5, maxDelayMs: 20 }, recovery: fast } },
        // The failures are logged (warnings, errors for dead letters): kept, not printed.
        { ...FIXTURE_LEDGER, logger: new CapturingLogger() },
      );
      faults = t.app.get(FaultPlan);
    });
    afterAll(() => t?.close());
    afterEach(() => faults.alwaysFailFor.clear());

    async function deadAfterRetries(item = buildDeliveryStatus({ status: 'delivered' }), { post = true } = {}) {
      faults.alwaysFailFor.add(item.ncmessage_id);
      if (post) await postSigned(t.app, buildWebhookPayload(item)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      const row = await waitFor('the event to die', async () => {
        const r = await storedEvent(t.app, { ncmessageId: item.ncmessage_id });
        return r?.state === 'dead' ? r : false;
      });
      return { item, row };
    }

    it('moves the event to the dead letters after maxAttempts, with its last error, and processes the rest', async () => {
      const good = buildDeliveryStatus({ status: 'read' });
      const bad = buildDeliveryStatus({ status: 'delivered' });
      faults.alwaysFailFor.add(bad.ncmessage_id);
      await postSigned(t.app, buildWebhookPayload(good, bad)).expect(200, { accepted: 2, duplicates: 0, rejected: 0 });
      const { row } = await deadAfterRetries(bad, { post: false });
      const { deadLetters, effects, charges } = tables(t.app);
      expect(row).toMatchObject({ attempts: maxAttempts });
      expect(row.lastError).toMatch(`billing sink rejects ${bad.ncmessage_id}`);
      const letter = await deadLetters.findOneByOrFail({ eventId: row.id });
      expect(letter).toMatchObject({ reason: 'processing', state: 'open', occurrences: 1 });
      expect(JSON.parse(letter.errors)).toEqual([`billing sink rejects ${bad.ncmessage_id}`]);
      expect(JSON.parse(letter.payload)).toEqual(bad);

      await waitFor('the good event to be processed', async () => (await storedEvent(t.app, { ncmessageId: good.ncmessage_id }))?.state === 'processed');
      expect(await effects.countBy({ ncmessageId: good.ncmessage_id })).toBe(1);
      expect(await charges.countBy({ ncmessageId: bad.ncmessage_id })).toBe(0);
      expect(faults.calls).toBeGreaterThanOrEqual(maxAttempts);
    });

    it('calls the listener exactly maxAttempts times, recording each failure on the row, before giving up', async () => {
      const { item, row } = await deadAfterRetries();
      await t.settle();
      expect(faults.callsFor.get(item.ncmessage_id)).toBe(maxAttempts);
      expect(row.attempts).toBe(maxAttempts);
      expect(row.nextAttemptAt).toBeNull();
    });

    it('processes the event once replayed after the fix, marks the letter replayed and keeps it', async () => {
      const { item, row } = await deadAfterRetries();
      const service = t.app.get(NetcoreDeadLetterService);
      const { deadLetters, effects, charges } = tables(t.app);
      const letter = await deadLetters.findOneByOrFail({ eventId: row.id });
      faults.alwaysFailFor.clear(); // the fix
      await expect(service.replay(letter.id)).resolves.toEqual({ id: letter.id, outcome: 'replayed' });
      expect(await storedEvent(t.app, { id: row.id })).toMatchObject({ state: 'processed', lastError: null });
      expect(await deadLetters.findOneByOrFail({ id: letter.id })).toMatchObject({ state: 'replayed', resolution: 'replayed: processed' });
      expect(await effects.findBy({ ncmessageId: item.ncmessage_id })).toMatchObject([{ deliveries: 1 }]);
      expect(await charges.countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
      await expect(service.replay(letter.id)).resolves.toEqual({ id: letter.id, outcome: 'not-open' });
    });

    it('keeps the letter open with the new error when the replay fails again, and the row dead', async () => {
      const { row } = await deadAfterRetries();
      const service = t.app.get(NetcoreDeadLetterService);
      const { deadLetters } = tables(t.app);
      const letter = await deadLetters.findOneByOrFail({ eventId: row.id });
      const result = await service.replay(letter.id);
      expect(result.outcome).toBe('failed');
      expect(result.errors?.[0]).toMatch('billing sink rejects');
      expect(await storedEvent(t.app, { id: row.id })).toMatchObject({ state: 'dead', attempts: maxAttempts + 1 });
      expect(await deadLetters.findOneByOrFail({ id: letter.id })).toMatchObject({ state: 'open', occurrences: 2 });
    });

    it('reports pending, failed and dead rows and open dead letters in stats()', async () => {
      const stats = t.app.get(NetcoreInboxService);
      const before = await stats.stats();
      await deadAfterRetries();
      await t.settle();
      const after = await stats.stats();
      expect(after.dead).toBe(before.dead + 1);
      expect(after.openDeadLetters.processing).toBe(before.openDeadLetters.processing + 1);
      expect(after.openDeadLetters.total).toBe(after.openDeadLetters.processing + after.openDeadLetters.validation + after.openDeadLetters.billing);
      expect(after.pending + after.failed).toBe(0);
      expect(after.oldestUnprocessedAt).toBeNull();
    });
  });

  describe("processing: 'inline'", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startHostApp(
        kind,
        // The first retry is at least 500 ms away (equal jitter), so a test sees the row its answer left.
        { providers: LEDGER_PROVIDERS, webhooks: { processing: 'inline', retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 1000 }, recovery: fast } },
        // The failures are logged (warnings, errors for dead letters): kept, not printed.
        { ...FIXTURE_LEDGER, logger: new CapturingLogger() },
      );
    });
    afterAll(() => t?.close());

    it('has run the listeners when it answers', async () => {
      const item = buildDeliveryStatus({ status: 'read' });
      await postSigned(t.app, buildWebhookPayload(item)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      const { effects } = tables(t.app);
      expect(await storedEvent(t.app, { ncmessageId: item.ncmessage_id })).toMatchObject({ state: 'processed' });
      expect(await effects.countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
    });

    it('still answers 200 when a listener throws (the event is stored) and retries it later', async () => {
      const faults = t.app.get(FaultPlan);
      const item = buildDeliveryStatus();
      faults.alwaysFailFor.add(item.ncmessage_id);
      await postSigned(t.app, buildWebhookPayload(item)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      const { effects } = tables(t.app);
      expect(await storedEvent(t.app, { ncmessageId: item.ncmessage_id })).toMatchObject({ state: 'failed', attempts: 1 });
      faults.alwaysFailFor.clear();
      await waitFor('the retry', async () => (await storedEvent(t.app, { ncmessageId: item.ncmessage_id }))?.state === 'processed');
      expect(await effects.countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
    });
  });
});
