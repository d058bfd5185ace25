import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { NetcoreBillingDecider } from '../billing/netcore-billing-decider.service';
import { NETCORE_MESSAGE_EVENTS } from '../events/netcore-message-events';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';

const options = { suppressErrors: false } as const;

/** Feeds every lifecycle event to billing. Errors propagate: the dispatcher records them and the event is retried. */
@Injectable()
export class BillingListener {
  constructor(private readonly decider: NetcoreBillingDecider) {}

  @OnEvent(NETCORE_MESSAGE_EVENTS.SENT, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.DELIVERED, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.READ, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.FAILED, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.CLICKED, options)
  async onMessageEvent(event: NetcoreMessageEvent): Promise<void> {
    await this.decider.apply(event);
  }
}
