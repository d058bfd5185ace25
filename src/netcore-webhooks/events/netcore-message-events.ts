/** Names of the domain events emitted for Netcore's documented statuses. */
export const NETCORE_MESSAGE_EVENTS = {
  SENT: 'message.sent',
  DELIVERED: 'message.delivered',
  READ: 'message.read',
  FAILED: 'message.failed',
  CLICKED: 'message.clicked',
} as const;

export type NetcoreMessageEventName = (typeof NETCORE_MESSAGE_EVENTS)[keyof typeof NETCORE_MESSAGE_EVENTS];

/** `message.<status>`: also for a status Netcore adds later (validated to be a lower-case token). */
export function netcoreMessageEventName(status: string): string {
  return `message.${status}`;
}

/**
 * `status` of an event: Netcore's documented statuses, or a lower-case token Netcore adds later
 * (`string & {}` keeps editors suggesting the known ones).
 */
export type NetcoreMessageStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'clicked' | (string & {});
