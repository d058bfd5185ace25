import { Inject, Injectable } from '@nestjs/common';
import { NetcoreAnalyticsSink } from '../analytics/netcore-analytics-sink.interface';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { OnEveryMessageEvent } from './on-every-message-event.decorator';

/** Passes every lifecycle event and click to the analytics sink. Errors propagate so the event is retried. */
@Injectable()
export class AnalyticsListener {
  constructor(@Inject(NetcoreAnalyticsSink) private readonly sink: NetcoreAnalyticsSink) {}

  @OnEveryMessageEvent()
  async onMessageEvent(event: NetcoreMessageEvent): Promise<void> {
    await this.sink.record(event);
  }
}
