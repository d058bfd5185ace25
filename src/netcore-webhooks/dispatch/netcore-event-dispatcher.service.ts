import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { netcoreMessageEventName } from '../events/netcore-message-events';
import { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from '../netcore-webhooks-options.resolver';
import { InboxClaimStore } from './inbox-claim.store';
import type { StoredEvent } from './stored-event';

export type { StoredEvent } from './stored-event';

/**
 * Emits `message.<status>` for claimed inbox rows and records the outcome under the claim: processed, or
 * failed with a retry time (exponential backoff), or dead after `retry.maxAttempts`.
 * Listeners that must not lose an event subscribe with `suppressErrors: false`; their errors land here.
 */
@Injectable()
export class NetcoreEventDispatcher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('NetcoreWebhooks');
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly retryListeners: ((at: Date) => void)[] = [];
  private stopping = false;

  constructor(
    private readonly claims: InboxClaimStore,
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
   * Dispatches in the background; the returned promise (awaited by `processing: 'inline'`) settles when done
   * and never rejects: rows whose outcome could not be written (database down) stay claimed until their
   * lease expires, then the sweep takes them.
   */
  schedule(events: StoredEvent[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    return this.track(this.dispatch(events));
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

  /** Emits each event in order, awaiting its listeners, and records each outcome under the event's claim. */
  async dispatch(events: StoredEvent[]): Promise<void> {
    const processed = new Map<string, string[]>();
    for (const [i, stored] of events.entries()) {
      if (this.stopping) {
        await this.releaseRest(events.slice(i));
        break;
      }
      const event = NetcoreMessageEvent.fromDeliveryStatus(stored.id, stored.raw);
      try {
        const emit = () => this.emitter!.emitAsync(netcoreMessageEventName(stored.status), event);
        await (this.metrics ? this.metrics.timeDispatch(emit) : emit());
        processed.set(stored.claim, [...(processed.get(stored.claim) ?? []), stored.id]);
      } catch (error) {
        await this.handleFailure(stored, error);
      }
    }
    for (const [claim, ids] of processed) await this.claims.markProcessed(claim, ids);
  }

  /** Resolves when no dispatch or sweep of this instance is still running. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Called with the due time of each retry this instance scheduled (the sweep wakes up for it). */
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

  private async releaseRest(events: StoredEvent[]): Promise<void> {
    const byClaim = new Map<string, string[]>();
    for (const e of events) byClaim.set(e.claim, [...(byClaim.get(e.claim) ?? []), e.id]);
    for (const [claim, ids] of byClaim) await this.claims.release(claim, ids);
  }
}
