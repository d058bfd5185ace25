import { Injectable } from '@nestjs/common';
import { NetcoreBillingDecider } from '../billing/netcore-billing-decider.service';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { OnEveryMessageEvent } from './on-every-message-event.decorator';

/** Feeds every lifecycle event to billing. Errors propagate: the dispatcher records them and the event is retried. */
@Injectable()
export class BillingListener {
  constructor(private readonly decider: NetcoreBillingDecider) {}

  @OnEveryMessageEvent()
  async onMessageEvent(event: NetcoreMessageEvent): Promise<void> {
    await this.decider.apply(event);
  }
}
