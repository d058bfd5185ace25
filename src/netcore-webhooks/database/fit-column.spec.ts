import { fitColumn } from './fit-column';

describe('fitColumn', () => {
  it('keeps a value that fits as it is', () => {
    expect(fitColumn('kiran', 128)).toBe('kiran');
    expect(fitColumn('s'.repeat(128), 128)).toBe('s'.repeat(128));
    expect(fitColumn('', 4)).toBe('');
  });

  it('cuts a longer value to the column length', () => {
    expect(fitColumn('s'.repeat(200), 128)).toBe('s'.repeat(128));
  });

  it('counts characters, not UTF-16 units, and never splits a surrogate pair', () => {
    const emoji = '\u{1F600}'; // two UTF-16 units, one character
    expect(fitColumn(emoji.repeat(129), 128)).toBe(emoji.repeat(128));
    expect(fitColumn(emoji.repeat(100), 128)).toBe(emoji.repeat(100)); // 200 units, 100 characters: kept whole
    expect(fitColumn('a\uFE0F'.repeat(3), 4)).toBe('a\uFE0Fa\uFE0F'); // a variation selector is a character
  });

  it('stores a lone surrogate as U+FFFD, as PostgreSQL would, so what is read back is what was written', () => {
    expect(fitColumn('x\uD800', 8)).toBe('x\uFFFD');
    expect(fitColumn('\uDC00x', 8)).toBe('\uFFFDx');
    expect(fitColumn('x\uD800'.repeat(10), 4)).toBe('x\uFFFDx\uFFFD');
  });
});
