import { applyDecorators } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { NETCORE_MESSAGE_EVENTS } from '../events/netcore-message-events';

/**
 * Subscribes to every documented `message.*` event with `suppressErrors: false`, so a failure reaches the
 * dispatcher, which records it and retries the event. (A wildcard would need the host's emitter to enable it.)
 */
export function OnEveryMessageEvent(): MethodDecorator {
  return applyDecorators(...Object.values(NETCORE_MESSAGE_EVENTS).map((name) => OnEvent(name, { suppressErrors: false })));
}
