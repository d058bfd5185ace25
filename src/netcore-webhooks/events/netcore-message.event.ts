import { parseReceivedAt } from '../dto/received-at';
import type { NetcoreMessageStatus } from './netcore-message-events';

export interface NetcoreMessagePricing {
  billable: boolean;
  category?: string;
  pricingModel?: string;
  type?: string;
}

/**
 * Payload of every `message.<status>` event: one `delivery_status` item in camelCase.
 * Delivered at least once: listeners must be idempotent (key: ncmessageId + status + receivedAt).
 */
export class NetcoreMessageEvent {
  /** Id of the inbox row this event was stored as; stable across redeliveries. */
  readonly eventId: string;
  readonly ncmessageId: string;
  readonly status: NetcoreMessageStatus;
  readonly receivedAt: Date;
  readonly recipient?: string;
  readonly phoneNumber?: string;
  readonly source?: string;
  readonly statusRemark?: string;
  readonly apiHeader?: string;
  readonly pricing?: NetcoreMessagePricing;
  /** The item exactly as received, extra fields included. */
  readonly raw: Readonly<Record<string, unknown>>;

  constructor(fields: NetcoreMessageEvent) {
    Object.assign(this, fields);
  }

  /**
   * Builds the event from an item validated when it was stored; `leftOut` names the invalid descriptive
   * fields validation left out of it (see `validateDeliveryStatus`), which the event leaves out too.
   */
  static fromStored(eventId: string, raw: Record<string, unknown>, leftOut: readonly string[] = []): NetcoreMessageEvent {
    const field = (name: string): unknown => (leftOut.includes(name) ? undefined : raw[name]);
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const p = field('pricing') as Record<string, unknown> | undefined | null;
    return new NetcoreMessageEvent({
      eventId,
      ncmessageId: raw.ncmessage_id as string,
      status: raw.status as NetcoreMessageStatus,
      receivedAt: new Date(parseReceivedAt(raw.received_at)!),
      recipient: str(field('recipient')),
      phoneNumber: str(field('phoneNumber')),
      source: str(field('source')),
      statusRemark: str(field('status_remark')),
      apiHeader: str(field('x-apiheader')),
      pricing:
        p && typeof p === 'object'
          ? { billable: p.billable === true, category: str(p.category), pricingModel: str(p.pricing_model), type: str(p.type) }
          : undefined,
      raw,
    });
  }
}
