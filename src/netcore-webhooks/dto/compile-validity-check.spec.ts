import { IsInt, IsOptional, IsString, MaxLength, ValidateIf, validateSync } from 'class-validator';
import { compileValidityCheck } from './compile-validity-check';
import { DeliveryStatusDto, DeliveryStatusPricingDto } from './delivery-status.dto';

function item(fields: Record<string, unknown>): DeliveryStatusDto {
  const dto = Object.assign(new DeliveryStatusDto(), fields);
  if (fields.pricing && typeof fields.pricing === 'object' && !Array.isArray(fields.pricing)) {
    dto.pricing = Object.assign(new DeliveryStatusPricingDto(), fields.pricing);
  }
  return dto;
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
    ['a sample item', base],
    ['an item without pricing or optional fields', { ncmessage_id: 'm', status: 'failed', received_at: 1764693401 }],
    ['optional fields set to null', { ...base, recipient: null, pricing: null }],
    ['a missing ncmessage_id', { ...base, ncmessage_id: undefined }],
    ['an empty ncmessage_id', { ...base, ncmessage_id: '' }],
    ['a too long ncmessage_id', { ...base, ncmessage_id: 'x'.repeat(129) }],
    ['an upper-case status', { ...base, status: 'READ' }],
    ['a numeric status', { ...base, status: 7 }],
    ['a bad received_at', { ...base, received_at: 'yesterday' }],
    ['a non-boolean billable', { ...base, pricing: { billable: 'yes' } }],
    ['pricing as a string', { ...base, pricing: 'free' }],
    ['pricing as an array', { ...base, pricing: [1] }],
    ['a too long category', { ...base, pricing: { billable: false, category: 'c'.repeat(65) } }],
    ['a numeric source', { ...base, source: 5 }],
  ])('agrees with validateSync on %s', (_label, fields) => {
    const dto = item(fields as Record<string, unknown>);
    expect(check(dto)).toBe(validateSync(dto).length === 0);
  });

  it('does not compile classes using options it does not reproduce, so the caller falls back to validateSync', () => {
    class Tags {
      @IsString({ each: true })
      tags!: string[];
    }
    expect(compileValidityCheck(Tags)).toBeNull();
  });

  it('applies ValidateIf conditions as validateSync does', () => {
    class Conditional {
      @ValidateIf((o: Conditional) => o.kind === 'a')
      @IsString()
      value?: unknown;

      @IsString()
      kind!: string;
    }
    const conditional = compileValidityCheck(Conditional)!;
    for (const fields of [{ kind: 'a', value: 1 }, { kind: 'b', value: 1 }, { kind: 'a', value: 'x' }]) {
      const dto = Object.assign(new Conditional(), fields);
      expect(conditional(dto)).toBe(validateSync(dto).length === 0);
    }
  });

  it('does not compile a class without constraints (validateSync rejects unknown values)', () => {
    class Plain {}
    expect(compileValidityCheck(Plain)).toBeNull();
  });

  it('answers for a class of its own, honouring IsOptional', () => {
    class Counter {
      @IsInt()
      count!: number;

      @IsOptional()
      @MaxLength(3)
      @IsString()
      label?: string;
    }
    const counterCheck = compileValidityCheck(Counter)!;
    expect(counterCheck(Object.assign(new Counter(), { count: 3 }))).toBe(true);
    expect(counterCheck(Object.assign(new Counter(), { count: 3, label: 'long' }))).toBe(false);
    expect(counterCheck(Object.assign(new Counter(), { count: 1.5 }))).toBe(false);
  });
});
