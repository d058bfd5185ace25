import { randomBytes } from 'node:crypto';
import { Registry, register } from 'prom-client';
import type { NetcoreWebhooksOptions } from './netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError, resolveNetcoreWebhooksOptions } from './netcore-webhooks-options.resolver';

const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const TOKEN = 'static-token-0123456789abcdef';
const none = { scheme: 'none' } as const;
const registry = new Registry();
const resolve = (options: unknown) => resolveNetcoreWebhooksOptions(options as NetcoreWebhooksOptions);
const errorOf = (options: unknown): Error => {
  try {
    resolve(options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the options to be refused');
};

const RETRY = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000 };
const RECOVERY = { sweepIntervalMs: 2000, leaseMs: 10_000, batchSize: 500 };
const SHARED = { scheme: 'shared-secret', secrets: [TOKEN] };
const EXPLICIT = { allowedIps: ['203.0.113.0/24', '2001:db8::/32'], requireHttps: true, maxBodyBytes: 65536, metrics: { registry, prefix: 'app_' } };

describe('resolveNetcoreWebhooksOptions', () => {
  it.each([
    [
      'fills the defaults',
      { verification: SHARED },
      { verification: { ...SHARED, header: 'x-netcore-token' }, allowedIps: null, requireHttps: false, maxBodyBytes: 1024 * 1024 },
    ],
    ['fills the reliability and metrics defaults', { verification: none }, { retry: RETRY, recovery: RECOVERY, shutdownTimeoutMs: 10_000, metrics: { registry: register, prefix: 'netcore_webhooks_' } }],
    ['fills the defaults of standard-webhooks', { verification: { scheme: 'standard-webhooks', secrets: [WHSEC] } }, { verification: { scheme: 'standard-webhooks', secrets: [WHSEC], toleranceSeconds: 300 } }],
    [
      'keeps explicit values',
      { ...EXPLICIT, verification: { ...SHARED, header: 'X-Custom-Token' }, allowedIps: [' 203.0.113.0/24', '2001:db8::/32'] },
      { ...EXPLICIT, verification: { header: 'x-custom-token' } },
    ],
    [
      'keeps given values and fills the rest of a group',
      { verification: none, retry: { maxAttempts: 3 }, recovery: { leaseMs: 500 } },
      { retry: { ...RETRY, maxAttempts: 3 }, recovery: { ...RECOVERY, leaseMs: 500 } },
    ],
  ])('%s', (_label, options, expected) => {
    expect(resolve(options)).toMatchObject(expected);
  });

  it("uses prom-client's default registry unless given the host's (the same object, not a copy)", () => {
    expect(resolve({ verification: none }).metrics.registry).toBe(register);
    expect(resolve({ verification: none, metrics: { registry } }).metrics.registry).toBe(registry);
  });

  it.each<[unknown, RegExp]>([
    [{ verification: { scheme: 'shared-secret', secrets: ['short'] } }, /'verification.secrets\[0\]' is shorter than 16 characters.*openssl rand/],
    [{ verification: { scheme: 'shared-secret' } }, /'verification.secrets' must list at least one secret for scheme 'shared-secret'/],
    [{ verification: { scheme: 'shared-secret', secrets: [TOKEN], header: 'x token' } }, /'verification.header' is not a valid HTTP header name/],
    [{ verification: { scheme: 'standard-webhooks', secrets: [WHSEC, 'whsec_$$$'] } }, /'verification.secrets\[1\]' is not base64/],
    [{ verification: { scheme: 'standard-webhooks', secrets: ['whsec_dGVzdA=='] } }, /'verification.secrets\[0\]' decodes to 4 bytes/],
    [{ verification: { scheme: 'standard-webhooks', secrets: [WHSEC], toleranceSeconds: 0 } }, /'verification.toleranceSeconds' must be an integer from 1 to 3600/],
    [{ verification: { scheme: 'jwt' } }, /unknown 'verification.scheme' "jwt"; use 'hmac', 'shared-secret', 'standard-webhooks'/],
    [{ verification: none, allowedIps: ['10.0.0.0/8', '10.0.0.0/40'] }, /'allowedIps\[1\]' has a prefix length above 32 \(got "10.0.0.0\/40"\); use an address or CIDR range/],
    [{ verification: none, allowedIps: ['2001:db8::/129'] }, /'allowedIps\[0\]' has a prefix length above 128/],
    ...['netcore.example', '10.1', '10.0.0.0/8/8'].map((ip): [unknown, RegExp] => [{ verification: none, allowedIps: [ip] }, /'allowedIps\[0\]' is not an IP address/]),
    [{ verification: none, allowedIps: [42] }, /'allowedIps\[0\]' must be a string/],
    [{ verification: none, allowedIps: [] }, /'allowedIps' must be a non-empty list.*leave it out/],
    [{ verification: none, requireHttps: 'yes' }, /'requireHttps' must be true or false/],
    [{ verification: none, maxBodyBytes: 10 }, /'maxBodyBytes' must be an integer number of bytes, at least 1024/],
    [{ verification: none, maxBodyBytes: '1mb' }, /'maxBodyBytes' must be an integer/],
    [{ verification: none, retry: { maxAttempts: 0 } }, /'retry.maxAttempts' must be an integer from 1/],
    [{ verification: none, retry: { baseDelayMs: 1.5 } }, /'retry.baseDelayMs' must be an integer/],
    [{ verification: none, retry: { baseDelayMs: 5000, maxDelayMs: 1000 } }, /'retry.maxDelayMs' \(1000\) must not be below 'retry.baseDelayMs' \(5000\)/],
    [{ verification: none, retry: 5 }, /'retry' must be an object/],
    [{ verification: none, recovery: { sweepIntervalMs: 0 } }, /'recovery.sweepIntervalMs' must be an integer from 10/],
    [{ verification: none, recovery: { leaseMs: Number.NaN } }, /'recovery.leaseMs' must be an integer from 100/],
    [{ verification: none, recovery: { batchSize: 20_000 } }, /'recovery.batchSize' must be an integer from 1 to 10000/],
    [{ verification: none, shutdownTimeoutMs: -1 }, /'shutdownTimeoutMs' must be an integer from 0/],
    [{ verification: none, metrics: { registry: {} } }, /'metrics.registry' must be a prom-client Registry/],
    [{ verification: none, metrics: { prefix: 'netcore-webhooks ' } }, /'metrics.prefix'/],
  ])('refuses %j, naming the option', (options, message) => {
    const error = errorOf(options);
    expect(error).toBeInstanceOf(NetcoreWebhooksConfigurationError);
    expect(error.message).toMatch(message);
  });

  it('never puts a secret in its error', () => {
    expect(errorOf({ verification: { scheme: 'shared-secret', secrets: ['tiny-secret'] } }).message).not.toContain('tiny-secret');
    expect(errorOf({ verification: { scheme: 'standard-webhooks', secrets: ['whsec_c2hvcnQ='] } }).message).not.toContain('c2hvcnQ');
  });
});
