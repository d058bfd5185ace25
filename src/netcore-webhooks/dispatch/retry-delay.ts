import type { NetcoreRetryOptions } from '../netcore-webhooks-options.interface';

/**
 * Delay before the next attempt after `failures` failed ones: base * 2^(failures-1), capped at maxDelayMs,
 * with "equal jitter" (half fixed, half random) so retries of a burst spread out but still back off.
 */
export function retryDelayMs(
  failures: number,
  { baseDelayMs, maxDelayMs }: Required<Pick<NetcoreRetryOptions, 'baseDelayMs' | 'maxDelayMs'>>,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, Math.min(failures - 1, 52)));
  const half = exponential / 2;
  return Math.round(half + random() * half);
}
