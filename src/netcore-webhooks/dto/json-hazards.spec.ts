import { exceedsJsonDepth, findForbiddenKey } from './json-hazards';

describe('exceedsJsonDepth', () => {
  const nested = (depth: number) => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

  it('measures depth without recursion, even 100000 levels deep', () => {
    expect(exceedsJsonDepth(nested(100_000))).toBe(true);
  });

  it('allows the limit and refuses one more level', () => {
    expect(exceedsJsonDepth(nested(32))).toBe(false);
    expect(exceedsJsonDepth(nested(33))).toBe(true);
  });

  it('counts objects and arrays alike and ignores scalars', () => {
    expect(exceedsJsonDepth({ a: [{ b: 'x' }] }, 3)).toBe(false);
    expect(exceedsJsonDepth({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(exceedsJsonDepth('text', 0)).toBe(false);
  });
});

describe('findForbiddenKey', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('finds %s at any depth, as JSON.parse leaves it', (key) => {
    expect(findForbiddenKey(JSON.parse(`{"a":[{"b":{"${key}":{"polluted":true}}}]}`))).toBe(key);
  });

  it('finds nothing in an ordinary payload', () => {
    expect(findForbiddenKey({ ncmessage_id: 'm', pricing: { billable: true }, list: [1, 'constructor'] })).toBeUndefined();
  });
});
