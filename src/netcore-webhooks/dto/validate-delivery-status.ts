import { validateSync, type ValidationError } from 'class-validator';
import { compileValidityCheck } from './compile-validity-check';
import { DeliveryStatusDto, DeliveryStatusPricingDto } from './delivery-status.dto';
import { findForbiddenKey } from './json-hazards';
import { parseReceivedAt } from './received-at';

export type DeliveryStatusValidation =
  /** `ignoredFields`: invalid fields left out of the item (see `ignoredFields`); usually none. */
  | { valid: true; item: DeliveryStatusDto; receivedAtMs: number; ignoredFields: readonly string[] }
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

/** Statuses the billing rules need whatever else the event carries: a failure voids a charge, a delivery keeps it. */
const BILLING_EVIDENCE = new Set<unknown>(['failed', 'delivered', 'read']);
/** Optional fields that only describe an event (and its pricing): on billing evidence, left out when invalid. */
const IGNORABLE = new Set(['recipient', 'phoneNumber', 'source', 'status_remark', 'x-apiheader', 'pricing']);
const NONE: readonly string[] = [];

/** The declared fields of `raw`, as the DTO validates them (nothing else of the item is copied). */
function pickItem(raw: Record<string, unknown>): DeliveryStatusDto {
  const item = pick(new DeliveryStatusDto(), raw, ITEM_FIELDS);
  if (Object.prototype.hasOwnProperty.call(raw, 'pricing')) {
    const pricing = raw.pricing;
    item.pricing = isRecord(pricing) ? pick(new DeliveryStatusPricingDto(), pricing, PRICING_FIELDS) : (pricing as DeliveryStatusPricingDto);
  }
  return item;
}

/**
 * The fields to leave out of an item that failed `errors`, or none when it must be refused. The billing rules
 * need failed, delivered and read events whatever else they carry (refused, a failure would leave a failed
 * message's charge standing, and a lost delivery would let a later failure void a delivered message's charge):
 * there, an invalid descriptive field or pricing is left out (pricing left out cannot charge). The inbox row
 * records which (`left_out`), so the event built from it leaves them out too; the raw item keeps them.
 */
function ignorable(status: unknown, errors: readonly ValidationError[]): readonly string[] {
  if (!BILLING_EVIDENCE.has(status) || !errors.every((e) => IGNORABLE.has(e.property))) return NONE;
  return errors.map((e) => e.property);
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
  const item = pickItem(raw);
  let ignored = NONE;
  // Most items are valid: a compiled check of the same decorators; validateSync only to name what is wrong.
  if (!compileValidityCheck(DeliveryStatusDto)?.(item)) {
    const errors = validateSync(item, { stopAtFirstError: true });
    if (errors.length) {
      ignored = ignorable(item.status, errors);
      if (!ignored.length) return { valid: false, errors: flatten(errors) };
      for (const field of ignored) delete (item as unknown as Record<string, unknown>)[field];
    }
  }
  return { valid: true, item, receivedAtMs: parseReceivedAt(item.received_at)!, ignoredFields: ignored };
}
