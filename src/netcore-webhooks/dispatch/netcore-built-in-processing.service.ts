import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NetcoreAnalyticsSink } from '../analytics/netcore-analytics-sink.interface';
import { TypeOrmAnalyticsSink } from '../analytics/typeorm-analytics.sink';
import { NetcoreBillingDecider } from '../billing/netcore-billing-decider.service';
import { runSqlSteps } from '../database/run-sql-steps';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreMessageStateWriter } from '../messages/netcore-message-state.writer';
import { asDefaultSink } from '../netcore-sink-provider';

/**
 * What the module itself does with every event, for a whole batch at once: message state, billing facts and
 * the default sinks' records (ledger entries, analytics facts) in one transaction of multi-row statements,
 * then a host's billing sink calls, then a host's analytics sink.
 * Every step is idempotent and order-independent, so a batch that failed can be run again event by event.
 */
@Injectable()
export class NetcoreBuiltInProcessing {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messages: NetcoreMessageStateWriter,
    private readonly billing: NetcoreBillingDecider,
    @Inject(NetcoreAnalyticsSink) private readonly analytics: NetcoreAnalyticsSink,
  ) {}

  /** `unsure`: messages whose host billing calls an earlier attempt may have made without recording them. */
  async process(events: readonly NetcoreMessageEvent[], unsure: ReadonlySet<string> = new Set()): Promise<void> {
    // The default analytics sink's statements join the transaction (not a subclass: it may record differently).
    const defaultAnalytics = asDefaultSink(this.analytics, TypeOrmAnalyticsSink);
    if (defaultAnalytics) {
      // Analytics must never hold billing back (a value its columns refuse would fail every retry): if this
      // fails, state and billing are recorded again on their own below, then analytics alone, whose error
      // fails the event for a retry.
      const unsettled = await this.record(events, defaultAnalytics).catch(() => null);
      if (unsettled) return this.billing.settle(unsettled, unsure);
    }
    await this.billing.settle(await this.record(events, null), unsure);
    if (this.analytics.recordMany) await this.analytics.recordMany(events);
    else for (const event of events) await this.analytics.record(event);
  }

  /** Message state and billing facts (and `analytics`' statements, when given) in one transaction. */
  private record(events: readonly NetcoreMessageEvent[], analytics: TypeOrmAnalyticsSink | null) {
    const { messages, billing } = this;
    return runSqlSteps(this.dataSource, function* () {
      yield* messages.steps(events);
      const states = yield* billing.steps(events);
      if (analytics) yield* analytics.steps(events);
      return states;
    });
  }
}
