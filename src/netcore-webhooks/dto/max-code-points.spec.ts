import { validateSync } from 'class-validator';
import { MaxCodePoints, codePointCount } from './max-code-points.decorator';

class Probe {
  @MaxCodePoints(4)
  value!: unknown;
}
const probe = (value: unknown) => Object.assign(new Probe(), { value });
const errors = (value: unknown) => validateSync(probe(value)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('codePointCount', () => {
  it('counts a surrogate pair as one and every other unit, a lone surrogate or a variation selector included, as one', () => {
    expect(codePointCount('')).toBe(0);
    expect(codePointCount('abc')).toBe(3);
    expect(codePointCount('\u{1F600}\u{1F600}')).toBe(2);
    expect(codePointCount('a\uFE0F')).toBe(2);
    expect(codePointCount('\uD800x\uDC00')).toBe(3);
    expect(codePointCount('\uDC00\uD800')).toBe(2); // low before high: two lone surrogates
  });

  it('agrees with the string iterator (code points) on every mix', () => {
    const units = ['a', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFE0F', '\u{1F600}'];
    for (let n = 0; n < 2000; n++) {
      let s = '';
      for (let k = n; k > 0; k = Math.floor(k / units.length)) s += units[k % units.length];
      expect(codePointCount(s)).toBe([...s].length);
    }
  });
});

describe('MaxCodePoints', () => {
  it('lets through up to the limit in code points', () => {
    expect(errors('abcd')).toEqual([]);
    expect(errors('\u{1F600}'.repeat(4))).toEqual([]);
  });

  it('refuses what a varchar column would refuse, where MaxLength counts fewer characters', () => {
    expect(errors('abcde')).toEqual(['value must be at most 4 characters']);
    expect(errors('a\uFE0Fa\uFE0Fa')).toEqual(['value must be at most 4 characters']);
  });

  it('refuses a value that is not a string', () => {
    expect(errors(12345)).toEqual(['value must be at most 4 characters']);
  });
});
