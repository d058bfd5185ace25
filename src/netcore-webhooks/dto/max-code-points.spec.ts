import { validateSync } from 'class-validator';
import { MaxCodePoints } from './max-code-points.decorator';

class Probe {
  @MaxCodePoints(4)
  value!: unknown;
}
const probe = (value: unknown) => Object.assign(new Probe(), { value });
const errors = (value: unknown) => validateSync(probe(value)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('MaxCodePoints', () => {
  it('lets through up to the limit in code points', () => {
    expect(errors('abcd')).toEqual([]);
    expect(errors('\u{1F600}'.repeat(4))).toEqual([]); // 8 UTF-16 units, 4 characters
    expect(errors('\uD800\uDC00\uDC00\uD800\uDC00\uDBFF')).toEqual([]); // two pairs and two lone surrogates: 4 characters
  });

  it('refuses what a varchar column would refuse, where MaxLength counts fewer characters', () => {
    expect(errors('abcde')).toEqual(['value must be at most 4 characters']);
    expect(errors('a\uFE0Fa\uFE0Fa')).toEqual(['value must be at most 4 characters']);
    expect(errors('\uDC00'.repeat(5))).toEqual(['value must be at most 4 characters']);
  });

  it('refuses a value that is not a string', () => {
    expect(errors(12345)).toEqual(['value must be at most 4 characters']);
  });
});
