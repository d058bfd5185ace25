import { NetcoreWebhooksConfigurationError, resolveNetcoreWebhooksOptions } from './netcore-webhooks-options.resolver';
import type { NetcoreWebhooksOptions } from './netcore-webhooks-options.interface';

const base: NetcoreWebhooksOptions = { verification: { scheme: 'hmac', secrets: ['s'] } };
const resolve = (extra: Record<string, unknown>) => resolveNetcoreWebhooksOptions({ ...base, ...extra } as NetcoreWebhooksOptions);

describe('resolveNetcoreWebhooksOptions: reliability options', () => {
  it('applies defaults for retry, recovery and shutdown', () => {
    expect(resolve({})).toMatchObject({
      retry: { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000 },
      recovery: { sweepIntervalMs: 2000, leaseMs: 10_000, batchSize: 500 },
      shutdownTimeoutMs: 10_000,
    });
  });

  it('keeps given values and fills the rest of a group', () => {
    expect(resolve({ retry: { maxAttempts: 3 }, recovery: { leaseMs: 500 } })).toMatchObject({
      retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 300_000 },
      recovery: { sweepIntervalMs: 2000, leaseMs: 500, batchSize: 500 },
    });
  });

  it.each([
    [{ retry: { maxAttempts: 0 } }, /'retry.maxAttempts' must be an integer from 1/],
    [{ retry: { baseDelayMs: 1.5 } }, /'retry.baseDelayMs' must be an integer/],
    [{ retry: { baseDelayMs: 5000, maxDelayMs: 1000 } }, /'retry.maxDelayMs' \(1000\) must not be below 'retry.baseDelayMs' \(5000\)/],
    [{ retry: 5 }, /'retry' must be an object/],
    [{ recovery: { sweepIntervalMs: 0 } }, /'recovery.sweepIntervalMs' must be an integer from 10/],
    [{ recovery: { leaseMs: Number.NaN } }, /'recovery.leaseMs' must be an integer from 100/],
    [{ recovery: { batchSize: 20_000 } }, /'recovery.batchSize' must be an integer from 1 to 10000/],
    [{ shutdownTimeoutMs: -1 }, /'shutdownTimeoutMs' must be an integer from 0/],
  ])('refuses %j, naming the option', (extra, message) => {
    expect(() => resolve(extra)).toThrow(NetcoreWebhooksConfigurationError);
    expect(() => resolve(extra)).toThrow(message);
  });
});
