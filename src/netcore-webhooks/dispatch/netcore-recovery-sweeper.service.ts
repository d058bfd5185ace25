import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { InboxClaimStore } from './inbox-claim.store';
import { NetcoreEventDispatcher } from './netcore-event-dispatcher.service';

/** Claimed batches waiting for or in dispatch at once during a sweep. */
const SWEEP_BATCHES_IN_FLIGHT = 3;

/**
 * Finds work that no request is dispatching: rows acknowledged before a crash, retries that fell due,
 * rows whose dispatcher died (lease expired). Runs at start-up, every `recovery.sweepIntervalMs`, and
 * when a retry this instance scheduled falls due. Every instance sweeps; claims keep them apart.
 */
@Injectable()
export class NetcoreRecoverySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('NetcoreWebhooks');
  private timer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private retriesDue: number[] = [];
  private running = false;
  private stopped = false;
  private startUp?: () => void;

  constructor(
    private readonly claims: InboxClaimStore,
    private readonly dispatcher: NetcoreEventDispatcher,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
  ) {
    dispatcher.onRetryScheduled((at) => this.onRetry(at.getTime()));
  }

  /**
   * The start-up sweep runs once start-up has finished (next macrotask), and is counted as in flight from
   * now on, so `whenIdle()` right after start-up already waits for it.
   */
  onApplicationBootstrap(): void {
    void this.dispatcher.track(
      new Promise<void>((resolve) => {
        this.startUp = () => {
          this.startUp = undefined;
          this.run();
          resolve();
        };
        this.startTimer = setTimeout(() => this.startUp?.(), 0);
        this.startTimer.unref();
      }),
    );
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    this.startUp?.(); // settles the start-up promise; run() does nothing once stopped
  }

  /**
   * Claims and dispatches due rows until none are left (or the app is closing); returns how many. The next
   * batch is claimed while earlier ones are processed, a few at a time, so a backlog drains at full speed.
   *
   * Each claim after the first starts at the newest row the sweep claimed so far. Older rows were claimed by
   * it, or held by a live lease or not yet due when it passed them, and passing them again cost every claim
   * a scan of all the rows in dispatch (up to the whole queue, 20,000, under a burst). A row that comes due
   * behind that point meanwhile (a retry, an expired lease, a request's row committed late) is taken by the
   * next sweep.
   */
  async sweep(): Promise<number> {
    const { batchSize } = this.options.recovery;
    const running: Promise<void>[] = [];
    let total = 0;
    let from: number | undefined;
    try {
      while (!this.stopped && !this.dispatcher.isStopping) {
        const { events, newest } = await this.claims.claimDue(batchSize, from);
        if (!events.length) break;
        from = newest;
        total += events.length;
        running.push(this.dispatcher.enqueue(events));
        if (events.length < batchSize) break;
        if (running.length >= SWEEP_BATCHES_IN_FLIGHT) await running.shift();
      }
    } finally {
      await Promise.all(running);
    }
    if (total) this.logger.log(`Recovery sweep dispatched ${total} event(s)`);
    return total;
  }

  private wakeUpAt(at: number): void {
    // Before the start-up sweep, or during a sweep, the next wake-up is set when that sweep ends.
    if (this.stopped || this.startUp || this.running || at >= this.wakeAt) return;
    this.wakeAt = at;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private onRetry(at: number): void {
    this.retriesDue.push(at);
    this.wakeUpAt(at);
  }

  private run(): void {
    this.wakeAt = Infinity;
    if (this.stopped) return;
    this.running = true;
    const startedAt = Date.now();
    // Retries due by now are claimed by this sweep; later ones wake the next.
    this.retriesDue = this.retriesDue.filter((at) => at > startedAt);
    const sweep = this.sweep().catch((error: unknown) => {
      this.logger.error(`Recovery sweep failed (retrying in ${this.options.recovery.sweepIntervalMs} ms): ${(error as Error)?.message ?? error}`);
    });
    void this.dispatcher.track(
      sweep.finally(() => {
        this.running = false;
        this.wakeUpAt(Math.min(Date.now() + this.options.recovery.sweepIntervalMs, ...this.retriesDue));
      }),
    );
  }
}
