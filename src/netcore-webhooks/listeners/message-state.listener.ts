import { Injectable } from '@nestjs/common';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { OnEveryMessageEvent } from './on-every-message-event.decorator';
import { NetcoreMessageStateWriter } from '../messages/netcore-message-state.writer';

/** Keeps `netcore_messages` current. Errors propagate so the dispatcher records them and the event is retried. */
@Injectable()
export class MessageStateListener {
  constructor(private readonly writer: NetcoreMessageStateWriter) {}

  @OnEveryMessageEvent()
  async onMessageEvent(event: NetcoreMessageEvent): Promise<void> {
    await this.writer.apply(event);
  }
}
