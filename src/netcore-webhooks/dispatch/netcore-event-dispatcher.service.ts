import { Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import { netcoreMessageEventName } from '../events/netcore-message-events';
import { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NetcoreWebhooksConfigurationError } from '../netcore-webhooks-options.resolver';

/** An inbox row as the dispatcher needs it. */
export interface StoredEvent {
  id: string;
  status: string;
  raw: Record<string, unknown>;
}

const ERROR_LIMIT = 2000;

/**
 * Emits `message.<status>` for stored events and records the outcome on the inbox row.
 * Listeners that must not lose an event subscribe with `suppressErrors: false`; their errors land here.
 */
@Injectable()
export class NetcoreEventDispatcher implements OnModuleInit {
  private readonly logger = new Logger('NetcoreWebhooks');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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

  /** Dispatches in the background; `whenIdle()` resolves once everything scheduled so far is done. */
  schedule(events: StoredEvent[]): void {
    if (!events.length) return;
    const run = this.dispatch(events)
      .catch((error) => this.logger.error(`Dispatch failed: ${(error as Error)?.message ?? error}`))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Emits each event in order, awaiting its listeners, and marks the rows processed or failed. */
  async dispatch(events: StoredEvent[]): Promise<void> {
    const processed: string[] = [];
    for (const stored of events) {
      const event = NetcoreMessageEvent.fromDeliveryStatus(stored.id, stored.raw);
      try {
        const emit = () => this.emitter!.emitAsync(netcoreMessageEventName(stored.status), event);
        await (this.metrics ? this.metrics.timeDispatch(emit) : emit());
        processed.push(stored.id);
      } catch (error) {
        await this.markFailed(stored, error);
      }
    }
    if (processed.length) await this.markProcessed(processed);
  }

  /** Resolves when no dispatch started by this instance is still running. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async markProcessed(ids: string[]): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(NetcoreWebhookEvent)
      .set({ state: 'processed', processedAt: new Date(), lastError: null, lockedUntil: null })
      .where({ id: In(ids) })
      .execute();
  }

  private async markFailed(stored: StoredEvent, error: unknown): Promise<void> {
    const message = String((error as Error)?.stack ?? (error as Error)?.message ?? error).slice(0, ERROR_LIMIT);
    this.metrics?.processingFailed(stored.status);
    this.logger.warn(`Listener failed for event ${stored.id} (message.${stored.status}): ${(error as Error)?.message ?? error}`);
    await this.dataSource
      .createQueryBuilder()
      .update(NetcoreWebhookEvent)
      .set({ state: 'failed', attempts: () => 'attempts + 1', lastError: message, lockedUntil: null })
      .where({ id: stored.id })
      .execute();
  }
}
