import { parseReceivedAt } from './received-at';

describe('parseReceivedAt', () => {
  it('reads epoch seconds sent as a string of digits, as Netcore does', () => {
    expect(parseReceivedAt('1764693401')).toBe(1764693401000);
  });

  it('reads epoch seconds sent as an integer', () => {
    expect(parseReceivedAt(1764693401)).toBe(1764693401000);
  });

  it('recognises epoch milliseconds by their size', () => {
    expect(parseReceivedAt('1764693401123')).toBe(1764693401123);
    expect(parseReceivedAt(1764693401123)).toBe(1764693401123);
  });

  it('reads the older "YYYY-MM-DD HH:mm:ss" form as UTC', () => {
    expect(parseReceivedAt('2025-12-02 16:36:41')).toBe(Date.UTC(2025, 11, 2, 16, 36, 41));
  });

  it.each([
    ['an empty string', ''],
    ['a fraction', 1764693401.5],
    ['a negative number', -5],
    ['words', 'yesterday'],
    ['an impossible date', '2025-02-31 10:00:00'],
    ['an ISO string with a zone', '2025-12-02T16:36:41Z'],
    ['a year before 2000', '0'],
    ['null', null],
    ['an object', { s: 1 }],
  ])('rejects %s', (_label, value) => {
    expect(parseReceivedAt(value)).toBeUndefined();
  });
});
