import { Inject, Injectable, Logger } from '@nestjs/common';
import { NetcoreAnalyticsSink } from '../analytics/netcore-analytics-sink.interface';
import { TypeOrmAnalyticsSink } from '../analytics/typeorm-analytics.sink';
import { NetcoreBillingProjection } from '../billing/netcore-billing-projection';
import { NetcoreDatabase } from '../database/netcore-database';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreMessageStateWriter } from '../messages/netcore-message-state.writer';
import { asDefaultSink } from '../netcore-sink-provider';

/**
 * The module's own processing of a batch of events, before the host's listeners: message state, billing facts
 * (with the ledger row or the outbox commands) and, with the default sink, analytics, in one transaction. A
 * host's analytics sink is called after it commits.
 */
@Injectable()
export class NetcoreProjections {
  private readonly logger = new Logger('NetcoreWebhooks');
  /** The default analytics sink records in the same transaction (not a subclass: that may record differently). */
  private readonly analyticsInTransaction: TypeOrmAnalyticsSink | null;

  constructor(
    private readonly db: NetcoreDatabase,
    private readonly messages: NetcoreMessageStateWriter,
    private readonly billing: NetcoreBillingProjection,
    @Inject(NetcoreAnalyticsSink) private readonly analytics: NetcoreAnalyticsSink,
  ) {
    this.analyticsInTransaction = asDefaultSink(analytics, TypeOrmAnalyticsSink);
  }

  /** Answers how many billing commands the batch put in the outbox. */
  async record(events: readonly NetcoreMessageEvent[]): Promise<number> {
    const inTransaction = this.analyticsInTransaction;
    if (!inTransaction) {
      const commands = await this.recordState(events);
      if (this.analytics.recordMany) await this.analytics.recordMany(events);
      else for (const event of events) await this.analytics.record(event);
      return commands;
    }
    try {
      return await this.db.write(async (manager) => {
        await this.messages.record(manager, events);
        const commands = await this.billing.record(manager, events);
        await inTransaction.recordIn(manager, events);
        return commands;
      });
    } catch (error) {
      // Analytics must never hold billing back (a value its columns refuse would fail every retry): state and
      // billing on their own, then analytics, whose error fails the batch for a retry.
      this.logger.warn(`Recording ${events.length} event(s) failed; recording billing before analytics: ${(error as Error)?.message ?? error}`);
      const commands = await this.recordState(events);
      await inTransaction.recordMany(events);
      return commands;
    }
  }

  private recordState(events: readonly NetcoreMessageEvent[]): Promise<number> {
    return this.db.write(async (manager) => {
      await this.messages.record(manager, events);
      return this.billing.record(manager, events);
    });
  }
}
