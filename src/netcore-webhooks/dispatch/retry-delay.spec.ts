import { retryDelayMs } from './retry-delay';

const retry = { baseDelayMs: 1000, maxDelayMs: 60_000 };

describe('retryDelayMs', () => {
  it('doubles the delay with each failure', () => {
    const fixed = () => 1;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, retry, fixed))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never exceeds maxDelayMs, however many failures', () => {
    expect(retryDelayMs(40, retry, () => 1)).toBe(60_000);
    expect(retryDelayMs(10_000, retry, () => 1)).toBe(60_000);
  });

  it('jitters within the upper half of the exponential delay', () => {
    expect(retryDelayMs(3, retry, () => 0)).toBe(2000);
    expect(retryDelayMs(3, retry, () => 0.5)).toBe(3000);
    const samples = Array.from({ length: 200 }, () => retryDelayMs(3, retry));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(4000);
    expect(new Set(samples).size).toBeGreaterThan(10);
  });
});
