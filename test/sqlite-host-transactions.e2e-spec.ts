import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { NetcoreBillingService, NetcoreInboxService, type NetcoreMessageEvent } from '../src';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { AT, REMARK, lifecycle } from './support/lifecycle';
import { seededRandom } from './support/simulated-day';
import { shuffled } from './support/billing-model';
import { startHostApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { postSigned } from './support/webhook-client';

/** The host's own table, created by the host's own migration next to the module's. */
class HostNotes1900000000100 implements MigrationInterface {
  name = 'HostNotes1900000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "host_notes" ("id" varchar(80) PRIMARY KEY NOT NULL, "ncmessage_id" varchar(128) NOT NULL)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "host_notes"');
  }
}

/**
 * A host listener that writes to the same SQLite database in its own `dataSource.transaction`: the first time
 * it sees a `failed` event it inserts a note, waits a little (other work is due meanwhile) and throws, which
 * rolls its transaction back; on the retry it commits.
 */
@Injectable()
class RollingBackListener {
  readonly attempts = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @OnEvent('message.failed', { suppressErrors: false })
  async onFailed(event: NetcoreMessageEvent): Promise<void> {
    const attempt = (this.attempts.get(event.eventId) ?? 0) + 1;
    this.attempts.set(event.eventId, attempt);
    await this.dataSource.transaction(async (manager) => {
      await manager.query('INSERT INTO "host_notes" ("id", "ncmessage_id") VALUES (?, ?)', [`${attempt === 1 ? 'rolled-back' : 'kept'}:${event.eventId}`, event.ncmessageId]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (attempt === 1) throw new Error('host rollback');
    });
  }
}

// SQLite only: TypeORM's better-sqlite3 driver shares one connection (one query runner) between all callers,
// so a host transaction begun while the module's is open would nest in it as a savepoint, or the reverse.
describe("a host listener's own SQLite transactions beside the module's (sqlite)", () => {
  let t: TestApp;
  let logger: CapturingLogger;
  beforeAll(async () => {
    logger = new CapturingLogger();
    t = await startHostApp(
      'sqlite',
      { providers: [RollingBackListener], webhooks: { retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50 }, recovery: { sweepIntervalMs: 50, batchSize: 10 } } },
      { logger, migrations: [HostNotes1900000000100] },
    );
  });
  afterAll(() => t?.close());

  it("loses no ledger row when the host's transactions roll back while hundreds of billable events are processed", async () => {
    const random = seededRandom(17);
    const failing = Array.from({ length: 30 }, () => lifecycle(['sent', 'failed']));
    const charged = Array.from({ length: 300 }, (_, i) => lifecycle(i % 2 ? ['sent', 'delivered'] : ['read']));
    const items: NetcoreDeliveryStatusItem[] = shuffled([...failing.flat(), ...charged.flat()], random);
    const requests: NetcoreDeliveryStatusItem[][] = [];
    for (let i = 0; i < items.length; i += 5) requests.push(items.slice(i, i + 5));
    // In waves, so that ingest and the module's processing (several lanes: batches of 10) overlap the host's transactions.
    for (let i = 0; i < requests.length; i += 20) {
      await Promise.all(requests.slice(i, i + 20).map((batch) => postSigned(t.app, buildWebhookPayload(...batch)).expect(200)));
    }

    const inbox = t.app.get(NetcoreInboxService);
    const drained = await waitFor('every event to be processed, the rolled-back ones on their retry', async () => {
      await t.settle();
      const stats = await inbox.stats();
      return stats.pending === 0 && stats.failed === 0 && stats.processed === items.length;
    }, { timeoutMs: 20_000 }).then(() => true, () => false);

    const billing = t.app.get(NetcoreBillingService);
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const [first] of charged) {
      const row = await billing.findOne(first.ncmessage_id);
      if (!row) missing.push(first.ncmessage_id);
      else if (row.state !== 'charged' || row.chargedAt.getTime() !== AT[first.status] * 1000) wrong.push(`${first.ncmessage_id}: ${row.state}`);
    }
    for (const [sent] of failing) {
      const row = await billing.findOne(sent.ncmessage_id);
      if (!row) missing.push(sent.ncmessage_id);
      else if (row.state !== 'voided' || row.voidReason !== REMARK) wrong.push(`${sent.ncmessage_id}: ${row.state}`);
    }
    const { pending, failed, dead, processed } = await inbox.stats();
    expect({ drained, pending, failed, dead, processed, missing: missing.length, wrong }).toEqual({
      drained: true,
      pending: 0,
      failed: 0,
      dead: 0,
      processed: items.length,
      missing: 0,
      wrong: [],
    });

    // Nothing the module marked processed was undone and processed again: each other event reached the listeners once.
    const seen = new Map<string, number>();
    for (const { event } of t.recorder.received) if (event.status !== 'failed') seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
    expect(seen.size).toBe(items.length - failing.length);
    expect([...seen].filter(([, n]) => n !== 1)).toEqual([]);

    // The host's own writes: each rollback undid exactly its note, each retry's commit kept its note.
    const listener = t.app.get(RollingBackListener);
    const notes: { id: string }[] = await t.app.get(DataSource).query('SELECT "id" FROM "host_notes" ORDER BY "id"');
    const failedEventIds = [...listener.attempts.keys()];
    expect(failedEventIds).toHaveLength(failing.length);
    expect(notes.map((n) => n.id)).toEqual(failedEventIds.map((id) => `kept:${id}`).sort());
    expect(logger.text()).toMatch(/warn .*Listener failed for event .* \(message\.failed\), attempt 1; retry at .*: host rollback/);
  });
});
