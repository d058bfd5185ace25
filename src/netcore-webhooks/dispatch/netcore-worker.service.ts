import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { NetcoreBillingRelay } from '../billing/netcore-billing-relay';
import { NetcoreDatabase } from '../database/netcore-database';
import { NetcoreInboxWork, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-inbox-work.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import { netcoreMessageEventName } from '../events/netcore-message-events';
import { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from '../netcore-webhooks-options.resolver';
import { NetcoreProjections } from './netcore-projections.service';
import { WorkLoop } from './work-loop';
import { WorkRows } from './work-rows';

/** Inbox batches worked on at once: a second lane starts only when a full batch was claimed (a backlog). */
const MAX_INBOX_LANES = 4;
/**
 * Batches ingest may hand over in memory before it stores rows unclaimed instead, for a claim to find. Few: the
 * heartbeat renews every row handed over, and a deep queue would be rewritten every third of a lease.
 */
const MAX_HANDED_BATCHES = 4;

const messageOf = (error: unknown) => (error as Error)?.message ?? String(error);

/**
 * The one worker loop of an app instance: claim due inbox rows → the module's projections (message state,
 * billing, analytics) in one transaction → host listeners (`message.<status>`, awaited in order) → processed,
 * or a retry with backoff, or a dead letter. Beside it, a second loop sends the billing outbox's due commands to
 * a host's sink, so a slow sink never holds up the inbox.
 *
 * Woken by ingest, by the next retry falling due and every `recovery.sweepIntervalMs`, which also finds
 * the rows of a dead instance: claims are leases of `recovery.leaseMs` that a heartbeat renews while the
 * instance lives.
 */
@Injectable()
export class NetcoreWorker implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NetcoreWebhooks');
  /** The token of every claim this instance holds. */
  readonly id = randomUUID();
  readonly inbox: WorkRows<NetcoreInboxWork>;
  private readonly inboxLoop: WorkLoop;
  private readonly outboxLoop: WorkLoop;
  /** Rows ingest stored already claimed by this instance: processed without a claim statement. */
  private readonly handed: NetcoreInboxWork[] = [];
  /** Inline processing and replays, run outside the loops. */
  private readonly calls = new Set<Promise<unknown>>();
  /** The earliest retry this instance scheduled: the worker wakes for it; later ones are found by the poll. */
  private nextRetryAt = Infinity;
  private started = false;
  private stopping = false;
  private poll?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly db: NetcoreDatabase,
    private readonly projections: NetcoreProjections,
    private readonly relay: NetcoreBillingRelay,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    private readonly metrics: NetcoreWebhooksMetrics,
    @Optional() private readonly emitter?: EventEmitter2,
  ) {
    this.inbox = new WorkRows(db, {
      entity: NetcoreInboxWork,
      unfinished: UNPROCESSED_INBOX_ROWS,
      done: 'delete',
      deadLetterReason: 'processing',
      payloadOf: (work) => work.event.payload,
      join: (query) => query.innerJoinAndMapOne('w.event', NetcoreWebhookEvent, 'e', 'e.id = w.id'),
    });
    const paused = (error: unknown) =>
      this.logger.error(`Processing paused by a database error; trying again in ${this.options.recovery.sweepIntervalMs} ms: ${messageOf(error)}`);
    this.inboxLoop = new WorkLoop((more) => db.detached(() => this.inboxStep(more)), MAX_INBOX_LANES, paused);
    this.outboxLoop = new WorkLoop(() => db.detached(async () => (await this.relay.relayDue(this.id, this.onRetry)) > 0), 1, paused);
  }

  onModuleInit(): void {
    if (!this.emitter) {
      throw new NetcoreWebhooksConfigurationError(
        'no EventEmitter2 found. Add EventEmitterModule.forRoot() (from @nestjs/event-emitter) to the imports of your AppModule.',
      );
    }
  }

  onApplicationBootstrap(): void {
    this.started = true;
    const { leaseMs } = this.options.recovery;
    this.heartbeat = setInterval(() => void this.renewClaims(), Math.max(1, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
    this.poll = setInterval(() => this.wakeForDueRows(), this.options.recovery.sweepIntervalMs);
    this.poll.unref();
    this.wake(true);
  }

  get leaseMs(): number {
    return this.options.recovery.leaseMs;
  }

  /** Looks for due inbox rows now (stored events, due retries); `outbox` also for due billing commands. */
  wake(outbox = false): void {
    if (!this.started || this.stopping) return;
    this.inboxLoop.wake();
    if (outbox) this.outboxLoop.wake();
  }

  /** Whether ingest may store `count` rows claimed by this instance and hand them over (see `take`). */
  mayTake(count: number): boolean {
    return this.started && !this.stopping && this.handed.length + count <= MAX_HANDED_BATCHES * this.options.recovery.batchSize;
  }

  /** Rows ingest stored claimed by this instance: the next batches, with no claim to write (the common case). */
  take(rows: NetcoreInboxWork[]): void {
    this.handed.push(...this.inbox.holding(rows));
    this.wake();
  }

  /** Processes rows this instance claimed itself (inline processing, a replayed dead letter); answers when done. */
  processClaimed(rows: NetcoreInboxWork[], lastAttempt = false): Promise<void> {
    const call = this.process(rows, lastAttempt).then(
      (commands) => void (commands && this.outboxLoop.wake()),
      (error: unknown) => this.logger.error(`Processing ${rows.length} event(s) failed; the rows are retaken when their claim runs out: ${messageOf(error)}`),
    );
    this.calls.add(call);
    return call.finally(() => this.calls.delete(call));
  }

  /** Resolves when this instance has nothing in progress. */
  async whenIdle(): Promise<void> {
    while (this.inboxLoop.running || this.outboxLoop.running || this.calls.size) {
      await Promise.allSettled([this.inboxLoop.whenIdle(), this.outboxLoop.whenIdle(), ...this.calls]);
    }
  }

  /** Stops taking work, lets what runs finish within `shutdownTimeoutMs`, and gives the claims back. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.poll);
    clearTimeout(this.retryTimer);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.shutdownTimeoutMs)));
    const late = await Promise.race([this.whenIdle().then(() => false), timedOut]);
    clearTimeout(timer);
    clearInterval(this.heartbeat);
    if (late) {
      this.logger.warn(`Shutdown: processing still running after ${this.options.shutdownTimeoutMs} ms; its rows are retaken once their claim runs out`);
      return;
    }
    await Promise.all([this.inbox.release(this.id), this.relay.commands.release(this.id)]).catch(() => undefined);
  }

  private async inboxStep(more: () => void): Promise<boolean> {
    if (this.stopping) return false;
    const { batchSize, leaseMs } = this.options.recovery;
    const rows = this.handed.length ? this.handed.splice(0, batchSize) : await this.inbox.claimDue(this.id, batchSize, leaseMs);
    if (rows.length === batchSize) more();
    if (!rows.length) return false;
    if (await this.process(rows)) this.outboxLoop.wake();
    return true;
  }

  /** Answers how many billing commands the events put in the outbox. */
  private process(rows: NetcoreInboxWork[], lastAttempt = false): Promise<number> {
    return this.inbox.working(rows, () => this.processHeld(rows, lastAttempt));
  }

  private async processHeld(rows: NetcoreInboxWork[], lastAttempt: boolean): Promise<number> {
    const events = rows.map(({ event: e }) => NetcoreMessageEvent.fromStored(e.id, JSON.parse(e.payload) as Record<string, unknown>, e.leftOut?.split(',')));
    let commands = 0;
    let eachAlone = false;
    try {
      commands = await this.metrics.timeBatch(() => this.projections.record(events));
    } catch (error) {
      if (rows.length === 1) {
        await this.failed(rows[0], error, lastAttempt);
        return 0;
      }
      this.logger.warn(`Processing a batch of ${rows.length} event(s) failed; retrying them one by one: ${messageOf(error)}`);
      eachAlone = true;
    }
    const processed: string[] = [];
    for (const [i, row] of rows.entries()) {
      try {
        await this.metrics.timeDispatch(async () => {
          if (eachAlone) commands += await this.projections.record([events[i]]);
          // On SQLite the listeners run alone on the connection: their own writes never mix with the module's.
          await this.db.alone(() => this.emitter!.emitAsync(netcoreMessageEventName(row.event.status), events[i]));
        });
        processed.push(row.id);
      } catch (error) {
        await this.failed(row, error, lastAttempt);
      }
    }
    await this.inbox.complete(this.id, processed);
    return commands;
  }

  private async failed(row: NetcoreInboxWork, error: unknown, lastAttempt: boolean): Promise<void> {
    this.metrics.processingFailed(row.event.status);
    const outcome = await this.inbox.fail(this.id, row.id, error, this.options.retry, lastAttempt);
    const event = `event ${row.id} (message.${row.event.status})`;
    if (outcome.state === 'failed') {
      this.onRetry(outcome.nextAttemptAt);
      this.logger.warn(`Listener failed for ${event}, attempt ${outcome.attempts}; retry at ${outcome.nextAttemptAt.toISOString()}: ${messageOf(error)}`);
    } else if (outcome.state === 'dead') {
      this.metrics.deadLettered('processing');
      this.logger.error(`Listener failed for ${event} on attempt ${outcome.attempts}; moved to the dead letters: ${messageOf(error)}`);
    } else {
      this.logger.warn(`Listener failed for ${event}, but its claim had run out; the new holder records the outcome`);
    }
  }

  private readonly onRetry = (at: Date) => {
    if (at.getTime() >= this.nextRetryAt) return;
    this.nextRetryAt = at.getTime();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.nextRetryAt = Infinity;
      this.wakeForDueRows();
    }, Math.max(0, at.getTime() - Date.now()));
    this.retryTimer.unref();
  };

  /** Wakes both loops with their next claims starting from the oldest due row (a retry may be due behind a sweep). */
  private wakeForDueRows(): void {
    this.inbox.rewind();
    this.relay.commands.rewind();
    this.wake(true);
  }

  private async renewClaims(): Promise<void> {
    const { leaseMs } = this.options.recovery;
    try {
      await Promise.all([this.inbox.renew(this.id, leaseMs), this.relay.commands.renew(this.id, leaseMs)]);
    } catch (error) {
      this.logger.warn(`Could not renew this instance's claims: ${messageOf(error)}`);
    }
  }
}
