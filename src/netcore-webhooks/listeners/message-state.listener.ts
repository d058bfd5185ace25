import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { NETCORE_MESSAGE_EVENTS } from '../events/netcore-message-events';
import type { NetcoreMessageEvent } from '../events/netcore-message.event';
import { NetcoreMessageStateWriter } from '../messages/netcore-message-state.writer';

const options = { suppressErrors: false } as const;

/** Keeps `netcore_messages` current. Errors propagate so the dispatcher records them and the event is retried. */
@Injectable()
export class MessageStateListener {
  constructor(private readonly writer: NetcoreMessageStateWriter) {}

  @OnEvent(NETCORE_MESSAGE_EVENTS.SENT, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.DELIVERED, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.READ, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.FAILED, options)
  @OnEvent(NETCORE_MESSAGE_EVENTS.CLICKED, options)
  async onMessageEvent(event: NetcoreMessageEvent): Promise<void> {
    await this.writer.apply(event);
  }
}
