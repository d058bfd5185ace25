import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { NetcoreAnalyticsSink } from '../analytics/netcore-analytics-sink.interface';
import { NETCORE_MESSAGE_EVENTS } from '../events/netcore-message-events';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';

const options = { suppressErrors: false } as const;

/** Passes every lifecycle event and click to the analytics sink. Errors propagate so the event is retried. */
@Injectable()
export class AnalyticsListener {
  constructor(@Inject(NetcoreAnalyticsSink) private readonly sink: NetcoreAnalyticsSink) {}

  @OnEvent(NETCORE_MESSAGE_EVENTS.SENT, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.DELIVERED, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.READ, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.FAILED, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.CLICKED, options)
  async onMessageEvent(event: NetcoreMessageEvent): Promise<void> {
    await this.sink.record(event);
  }
}
