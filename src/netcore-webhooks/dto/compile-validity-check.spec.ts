import { IsInt, validateSync } from 'class-validator';
import { NETCORE_SAMPLE_PAYLOADS } from '../testing/netcore-samples';
import { compileValidityCheck } from './compile-validity-check';
import { DeliveryStatusDto, DeliveryStatusPricingDto } from './delivery-status.dto';

/** As validateDeliveryStatus builds it: a plain-object pricing becomes the nested DTO, anything else stays. */
function item(fields: Record<string, unknown>): DeliveryStatusDto {
  const dto = Object.assign(new DeliveryStatusDto(), fields);
  const pricing = fields.pricing;
  if (pricing !== null && typeof pricing === 'object' && Object.getPrototypeOf(pricing) === Object.prototype) {
    dto.pricing = Object.assign(new DeliveryStatusPricingDto(), pricing);
  }
  return dto;
}

const STRING_FIELDS = ['ncmessage_id', 'status', 'recipient', 'phoneNumber', 'source', 'status_remark', 'x-apiheader'];
const PRICING_STRING_FIELDS = ['category', 'pricing_model', 'type'];
const EMOJI = '\u{1F600}'; // one character, two UTF-16 units
const VS16 = '\u2764\uFE0F'; // a character and its variation selector: two code points, two units

/** Strings at and around the MaxCodePoints limits (64, 128) in UTF-16 units and in characters. */
function lengthEdges(): string[] {
  return [63, 64, 65, 127, 128, 129, 130].flatMap((n) => [
    'x'.repeat(n),
    EMOJI.repeat(Math.ceil(n / 2)),
    VS16.repeat(Math.ceil(n / 2)),
    'x' + EMOJI.repeat(Math.floor(n / 2)),
    '\uD800'.repeat(n), // lone surrogates count one each
    '\uFE0F'.repeat(n), // selectors without a base
    `${'x'.repeat(n - 1)}\u0000`,
  ]);
}

const NON_STRINGS: unknown[] = [0, 1, NaN, true, false, null, undefined, [], ['a'], {}, { length: 1 }, new String('a'), new String(''), new Date(0)];
const STATUS_EDGES = ['a', 'read', 'read_1', 'a'.repeat(32), 'a'.repeat(33), 'Read', '1read', '_read', 'read\n', '\nread', 'rea d', 'read\u0000', 'réad', ''];
const NUL_EDGES = ['\u0000', '\u0000m', 'm\u0000', 'm\u0000m', '\u0000\u0000', '', 'm'];

function agrees(check: (o: object) => boolean, dto: object): void {
  expect({ dto, valid: check(dto) }).toEqual({ dto, valid: validateSync(dto).length === 0 });
}

/** Deterministic, so a failing mutation reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of the fields with one field deleted, replaced by an edge value, or with an edge character spliced in. */
function mutate(rand: () => number, original: Record<string, unknown>): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const fields = { ...original };
  const pricing = fields.pricing !== null && typeof fields.pricing === 'object' && Object.getPrototypeOf(fields.pricing) === Object.prototype;
  const onPricing = pricing && rand() < 0.3;
  const target = onPricing ? (fields.pricing = { ...(fields.pricing as object) }) as Record<string, unknown> : fields;
  const field = onPricing ? pick([...PRICING_STRING_FIELDS, 'billable']) : pick([...STRING_FIELDS, 'received_at', 'pricing']);
  const current = target[field];
  const roll = rand();
  if (roll < 0.15) delete target[field];
  else if (roll < 0.35) target[field] = pick(NON_STRINGS);
  else if (roll < 0.5) target[field] = pick(lengthEdges());
  else if (roll < 0.6) target[field] = pick(field === 'status' ? STATUS_EDGES : NUL_EDGES);
  else if (typeof current === 'string') {
    const at = Math.floor(rand() * (current.length + 1));
    const insert = pick(['\u0000', EMOJI, '\uFE0F', VS16, '\uD800', 'A', '_', ' ', '9', EMOJI.repeat(40), 'x'.repeat(40)]);
    target[field] = current.slice(0, at) + insert + current.slice(at);
  } else target[field] = pick([...STATUS_EDGES, ...NUL_EDGES]);
  return fields;
}

const base = {
  ncmessage_id: 'm-1',
  status: 'read',
  received_at: '1764693401',
  recipient: '916361467892',
  phoneNumber: '912249757556',
  source: 'kiran',
  status_remark: '',
  'x-apiheader': 'kiran',
  pricing: { billable: true, category: 'marketing', pricing_model: 'PMP', type: 'regular' },
};

describe('compileValidityCheck', () => {
  const check = compileValidityCheck(DeliveryStatusDto)!;

  it.each([
    ['strings at the length limits, in UTF-16 units and in characters', lengthEdges()],
    ['a NUL anywhere in a string, and empty strings', NUL_EDGES],
    ['String objects, numbers, booleans, null, arrays and objects', NON_STRINGS],
  ])('agrees with validateSync on %s, in every string field', (_label, values) => {
    for (const value of values) {
      for (const field of STRING_FIELDS) agrees(check, item({ ...base, [field]: value }));
      for (const field of [...PRICING_STRING_FIELDS, 'billable']) agrees(check, item({ ...base, pricing: { ...base.pricing, [field]: value } }));
    }
  });

  it('agrees with validateSync on statuses at the edges of the status pattern', () => {
    for (const status of STATUS_EDGES) agrees(check, item({ ...base, status }));
  });

  it('agrees with validateSync on thousands of random mutations of the Netcore sample items', () => {
    const rand = random(20251202);
    const samples = Object.values(NETCORE_SAMPLE_PAYLOADS).map((p) => p.delivery_status[0] as Record<string, unknown>);
    for (const sample of samples) expect(check(item(sample))).toBe(true); // the nested pricing check compiles too
    let valid = 0;
    for (let n = 0; n < 4000; n++) {
      let fields = samples[n % samples.length];
      for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) fields = mutate(rand, fields);
      const dto = item(fields);
      agrees(check, dto);
      if (check(dto)) valid++;
    }
    expect(valid).toBeGreaterThan(400); // both answers are exercised
    expect(valid).toBeLessThan(3600);
  });

  it('answers no for a pricing that is not the pricing DTO (Map, Set, a plain object), leaving the answer to validateSync', () => {
    for (const pricing of [new Map(), new Set(), { ...base.pricing }]) {
      expect(check(Object.assign(new DeliveryStatusDto(), { ...base, pricing }))).toBe(false);
    }
  });

  it('compiles only the constraints the DTOs use: another class gets null, so the caller uses validateSync', () => {
    class Counter {
      @IsInt()
      count!: number;
    }
    expect(compileValidityCheck(Counter)).toBeNull();
  });
});
