import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { netcoreMessageEventName } from '../events/netcore-message-events';
import { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from '../netcore-webhooks-options.resolver';
import { InboxClaimStore } from './inbox-claim.store';
import { NetcoreBuiltInProcessing } from './netcore-built-in-processing.service';
import type { StoredEvent } from './stored-event';

export type { StoredEvent } from './stored-event';

/** Events per dispatch run: enough to amortise each statement, few enough that one SQLite transaction stays short. */
const MAX_BATCH_EVENTS = 500;
/**
 * Runs at once. A second run starts only for a full batch or when the running ones are slow (a slow sink or
 * host listener must not hold up every other event): otherwise waiting events join the next run, and the
 * fewer, larger runs cost less per event.
 */
const MAX_RUNS = 4;
const SLOW_RUN_MS = 100;
/** Events held in memory for a dispatch run; beyond that, new rows are left in the inbox for the sweep. */
const MAX_QUEUED_EVENTS = 20_000;

interface QueuedEvents {
  events: StoredEvent[];
  /** Not run before this (epoch ms) unless a full batch is waiting: see `lingerMs`. */
  readyAt: number;
  done(): void;
}

export interface ScheduleOptions {
  /**
   * How long the events may wait for others to join their run (default 0). Under light load runs are small
   * and their fixed cost (a few statements and commits) dominates; a short wait makes them larger.
   */
  lingerMs?: number;
}

/**
 * Processes claimed inbox rows in batches and records each outcome under the row's claim: processed, or
 * failed with a retry time (exponential backoff), or dead after `retry.maxAttempts`.
 *
 * A batch first goes through the module's own processing (message state, billing, analytics) as a whole;
 * then `message.<status>` is emitted for each event, in order, to the host's listeners. If the batch's own
 * processing fails, it is run again event by event, so one bad event fails alone. Listeners that must not
 * lose an event subscribe with `suppressErrors: false`; their errors land here.
 *
 * Batches from concurrent requests queue up and are merged (up to 500 events a run), so the cost per event
 * falls as load rises; the queue is bounded.
 */
@Injectable()
export class NetcoreEventDispatcher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('NetcoreWebhooks');
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly retryListeners: ((at: Date) => void)[] = [];
  private readonly queue: QueuedEvents[] = [];
  private queued = 0;
  private running = 0;
  /** Events were left to the sweep since the queue was last drained. */
  private deferred = false;
  private lastRunStartedAt = 0;
  private pumpTimer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly claims: InboxClaimStore,
    private readonly builtIn: NetcoreBuiltInProcessing,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    @Optional() private readonly emitter?: EventEmitter2,
    @Optional() private readonly metrics?: NetcoreWebhooksMetrics,
  ) {}

  onModuleInit(): void {
    if (!this.emitter) {
      throw new NetcoreWebhooksConfigurationError(
        'no EventEmitter2 found. Add EventEmitterModule.forRoot() (from @nestjs/event-emitter) to the imports of your AppModule.',
      );
    }
  }

  /** True once the app is closing: no new work is taken, claimed rows go back to the sweep. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /**
   * Queues claimed rows for dispatch; the returned promise (awaited by `processing: 'inline'`) settles when
   * they are done and never rejects: rows whose outcome could not be written (database down) stay claimed
   * until their lease expires, then the sweep takes them. Callers bound the queue: a webhook request asks
   * `admit()` before it claims its rows (so the bound is soft by what is being stored meanwhile), the
   * sweep, inline processing and a dead-letter replay wait for what they queued.
   */
  enqueue(events: StoredEvent[], { lingerMs = 0 }: ScheduleOptions = {}): Promise<void> {
    const runs: Promise<void>[] = [];
    const readyAt = Date.now() + lingerMs;
    for (let i = 0; i < events.length; i += MAX_BATCH_EVENTS) {
      const chunk = events.slice(i, i + MAX_BATCH_EVENTS);
      runs.push(new Promise<void>((done) => this.queue.push({ events: chunk, readyAt, done })));
      this.queued += chunk.length;
    }
    this.pump();
    return this.track(Promise.all(runs));
  }

  /**
   * True when `count` more events may be queued now. When not, the caller stores them unclaimed and leaves
   * them to the sweep, which is woken as soon as the queue has room again.
   */
  admit(count: number): boolean {
    if (this.queued + count <= MAX_QUEUED_EVENTS) return true;
    this.metrics?.dispatchDeferred(count);
    this.deferred = true;
    return false;
  }

  /** Counts `work` as in flight for `whenIdle()` and shutdown; its failure is logged, never thrown. */
  track(work: Promise<unknown>): Promise<void> {
    const run: Promise<void> = work
      .then(() => undefined)
      .catch((error) => this.logger.error(`Dispatch failed: ${(error as Error)?.message ?? error}`))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
    return run;
  }

  /** Starts runs while one may start (see MAX_RUNS), each on as many queued batches as fit in one. */
  private pump(): void {
    while (this.queue.length && this.mayStartRun()) {
      const taken: QueuedEvents[] = [this.queue.shift()!];
      let size = taken[0].events.length;
      while (this.queue.length && size + this.queue[0].events.length <= MAX_BATCH_EVENTS) {
        size += this.queue[0].events.length;
        taken.push(this.queue.shift()!);
      }
      this.queued -= size;
      this.running++;
      this.lastRunStartedAt = Date.now();
      void this.dispatch(taken.flatMap((q) => q.events))
        .catch((error) => this.logger.error(`Dispatch failed: ${(error as Error)?.message ?? error}`))
        .finally(() => {
          this.running--;
          for (const q of taken) q.done();
          if (this.deferred && this.queued < MAX_QUEUED_EVENTS / 2) {
            // Room again: the sweep takes the events left to it now, not at its next interval.
            this.deferred = false;
            for (const listener of this.retryListeners) listener(new Date());
          }
          // The next run starts after pending I/O: webhook requests are answered between batches.
          setImmediate(() => this.pump());
        });
    }
    if (this.queue.length && this.running < MAX_RUNS && !this.pumpTimer) {
      // Wake up when the first batch's linger ends, or when the running ones count as slow (a run that ends
      // pumps too).
      const now = Date.now();
      const at = this.running ? Math.max(this.queue[0].readyAt, this.lastRunStartedAt + SLOW_RUN_MS) : this.queue[0].readyAt;
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, Math.max(1, at - now));
    }
  }

  private mayStartRun(): boolean {
    if (this.running >= MAX_RUNS) return false;
    if (this.queued >= MAX_BATCH_EVENTS) return true;
    const now = Date.now();
    if (this.queue[0].readyAt > now) return false;
    return this.running === 0 || now - this.lastRunStartedAt >= SLOW_RUN_MS;
  }

  /** Processes `events` as one batch now, then emits each in order and records each outcome under its claim. */
  async dispatch(queued: StoredEvent[]): Promise<void> {
    if (this.stopping) return this.release(queued);
    const events = await this.keepLeases(queued);
    if (!events.length) return;
    const messages = events.map((stored) => NetcoreMessageEvent.fromDeliveryStatus(stored.id, stored.raw));
    // Messages whose billing calls an earlier attempt may have made without recording them.
    const unsure = new Set(messages.filter((_, i) => events[i].redelivered).map((m) => m.ncmessageId));
    let eachAlone = false;
    try {
      const run = () => this.builtIn.process(messages, unsure);
      await (this.metrics ? this.metrics.timeBatch(run) : run());
    } catch (error) {
      if (events.length === 1) {
        await this.handleFailure(events[0], error);
        return;
      }
      this.logger.warn(`Processing a batch of ${events.length} event(s) failed; retrying them one by one: ${(error as Error)?.message ?? error}`);
      eachAlone = true;
    }
    const processed: StoredEvent[] = [];
    for (const [i, stored] of events.entries()) {
      if (this.stopping) {
        await this.release(events.slice(i));
        break;
      }
      const event = messages[i];
      try {
        const run = async () => {
          if (eachAlone) await this.builtIn.process([event], unsure);
          await this.emitter!.emitAsync(netcoreMessageEventName(stored.status), event);
        };
        await (this.metrics ? this.metrics.timeDispatch(run) : run());
        processed.push(stored);
      } catch (error) {
        await this.handleFailure(stored, error);
      }
    }
    await this.claims.markProcessed(processed);
  }

  /** Resolves when no dispatch or sweep of this instance is still running. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Called with the due time of each retry this instance scheduled, and with the current time when events
   * left to the sweep (full queue) can be taken: the sweep wakes up for it.
   */
  onRetryScheduled(listener: (at: Date) => void): void {
    this.retryListeners.push(listener);
  }

  /** Graceful shutdown: stop taking work, let in-flight dispatch finish within `shutdownTimeoutMs`. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.shutdownTimeoutMs);
    });
    const late = await Promise.race([this.whenIdle().then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.logger.warn(
        `Shutdown: dispatch still running after ${this.options.shutdownTimeoutMs} ms; its rows are left to the recovery sweep once their lease expires`,
      );
    }
  }

  private async handleFailure(stored: StoredEvent, error: unknown): Promise<void> {
    const reason = (error as Error)?.message ?? String(error);
    this.metrics?.processingFailed(stored.status);
    const outcome = await this.claims.recordFailure(stored, error);
    switch (outcome.state) {
      case 'failed':
        this.logger.warn(
          `Listener failed for event ${stored.id} (message.${stored.status}), attempt ${outcome.attempts}; retry at ${outcome.nextAttemptAt.toISOString()}: ${reason}`,
        );
        for (const listener of this.retryListeners) listener(outcome.nextAttemptAt);
        break;
      case 'dead':
        this.metrics?.deadLettered('processing');
        this.logger.error(
          `Listener failed for event ${stored.id} (message.${stored.status}) on attempt ${outcome.attempts}; moved to the dead letters: ${reason}`,
        );
        break;
      case 'lost':
        this.logger.warn(`Listener failed for event ${stored.id}, but its claim had expired; the new holder records the outcome`);
        break;
    }
  }

  /**
   * Rows may have waited in the queue: those with less than half of their lease left get it renewed first,
   * and rows whose claim was taken over meanwhile (a sweep, after the lease ran out) are left to their new holder.
   */
  private async keepLeases(events: StoredEvent[]): Promise<StoredEvent[]> {
    const halfLease = this.options.recovery.leaseMs / 2;
    const now = Date.now();
    const due = events.filter((e) => e.leaseUntil - now < halfLease);
    if (!due.length) return events;
    const renewed = new Map((await this.claims.renew(due)).map((e) => [e.id, e]));
    const dueIds = new Set(due.map((e) => e.id));
    const kept = events.flatMap((e) => (!dueIds.has(e.id) ? [e] : renewed.has(e.id) ? [renewed.get(e.id)!] : []));
    if (kept.length < events.length) this.logger.warn(`${events.length - kept.length} queued event(s) were taken over by another claim after their lease ran out`);
    return kept;
  }

  /** Gives rows back to the sweep at once (on shutdown) instead of letting their lease run out. */
  private release(events: StoredEvent[]): Promise<void> {
    return this.claims.release(events);
  }
}
