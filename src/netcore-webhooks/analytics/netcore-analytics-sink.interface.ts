import type { NetcoreMessageEvent } from '../events/netcore-message.event';

/**
 * Where delivery events go for reporting. Called for every `sent`, `delivered`, `read`, `failed` and
 * `clicked` event, at least once (a redelivered event comes again with the same `eventId`), so
 * implementations must be idempotent. A call that throws is retried with its event.
 */
export interface NetcoreAnalyticsSink {
  record(event: NetcoreMessageEvent): Promise<void>;
  /**
   * Optional: a batch of events at once, with the same meaning as `record` for each in order (the module
   * processes events in batches; the default sink writes a batch in two statements). Used when present.
   */
  recordMany?(events: readonly NetcoreMessageEvent[]): Promise<void>;
}

/** Injection token of the analytics sink (`@Inject(NetcoreAnalyticsSink)`). */
export const NetcoreAnalyticsSink = Symbol('NetcoreAnalyticsSink');
