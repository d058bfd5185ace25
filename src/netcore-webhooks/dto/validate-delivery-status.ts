import { validateSync, type ValidationError } from 'class-validator';
import { compileValidityCheck } from './compile-validity-check';
import { DeliveryStatusDto, DeliveryStatusPricingDto } from './delivery-status.dto';
import { findForbiddenKey } from './json-hazards';
import { parseReceivedAt } from './received-at';

export type DeliveryStatusValidation =
  /** `pricingIgnored`: the item's pricing was invalid and is left out (see `ignoresPricing`). */
  | { valid: true; item: DeliveryStatusDto; receivedAtMs: number; pricingIgnored: boolean }
  | { valid: false; errors: string[] };

const ITEM_FIELDS = [
  'ncmessage_id',
  'status',
  'received_at',
  'recipient',
  'phoneNumber',
  'source',
  'status_remark',
  'x-apiheader',
] as const;
const PRICING_FIELDS = ['billable', 'category', 'pricing_model', 'type'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Copies only the declared fields, and only own ones: nothing from a `__proto__` key reaches the DTO. */
function pick<T extends object>(target: T, source: Record<string, unknown>, fields: readonly string[]): T {
  for (const field of fields) {
    if (Object.prototype.hasOwnProperty.call(source, field)) (target as Record<string, unknown>)[field] = source[field];
  }
  return target;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}.${m}` : m)),
    ...flatten(e.children ?? [], prefix ? `${prefix}.${e.property}` : e.property),
  ]);
}

/** Events the billing rules need whatever their pricing: a failure voids a charge, a delivery keeps it. */
const BILLING_EVIDENCE = new Set<unknown>(['failed', 'delivered', 'read']);

/**
 * A failed, delivered or read event must not be refused for its pricing: refused, a failure would leave a
 * failed message's charge standing, and a lost delivery would let a later failure void a delivered message's
 * charge. Invalid there, the pricing is ignored (the event cannot charge), by validation and by the event
 * built from the stored item alike. On any other status invalid pricing refuses the event.
 */
export function ignoresPricing(raw: Record<string, unknown>): boolean {
  return BILLING_EVIDENCE.has(raw.status) && raw.pricing !== undefined && !isValidPricing(raw.pricing);
}

/** Whether `pricing` (an item's, as received) passes `DeliveryStatusPricingDto`. */
function isValidPricing(pricing: unknown): boolean {
  if (!isRecord(pricing)) return false;
  const dto = pick(new DeliveryStatusPricingDto(), pricing, PRICING_FIELDS);
  // As below: the compiled check's false is only "not sure".
  return compileValidityCheck(DeliveryStatusPricingDto)?.(dto) || validateSync(dto, { stopAtFirstError: true }).length === 0;
}

/**
 * Validates one `delivery_status` item against `DeliveryStatusDto` without transforming the input:
 * the item as received stays the raw record, extra fields and all.
 */
export function validateDeliveryStatus(raw: unknown): DeliveryStatusValidation {
  if (!isRecord(raw)) return { valid: false, errors: ['item must be a JSON object'] };
  // Refused rather than stripped: the item is kept as received (dead letter), and nothing emitted carries the key.
  const forbidden = findForbiddenKey(raw);
  if (forbidden) return { valid: false, errors: [`item must not contain the key ${JSON.stringify(forbidden)}`] };
  const item = pick(new DeliveryStatusDto(), raw, ITEM_FIELDS);
  const pricingIgnored = Object.prototype.hasOwnProperty.call(raw, 'pricing') && ignoresPricing(raw);
  if (Object.prototype.hasOwnProperty.call(raw, 'pricing') && !pricingIgnored) {
    const pricing = raw.pricing;
    item.pricing = isRecord(pricing)
      ? pick(new DeliveryStatusPricingDto(), pricing, PRICING_FIELDS)
      : (pricing as DeliveryStatusPricingDto);
  }
  // Most items are valid: a compiled check of the same decorators; validateSync only to name what is wrong.
  if (!compileValidityCheck(DeliveryStatusDto)?.(item)) {
    const errors = flatten(validateSync(item, { stopAtFirstError: true }));
    if (errors.length) return { valid: false, errors };
  }
  return { valid: true, item, receivedAtMs: parseReceivedAt(item.received_at)!, pricingIgnored };
}
