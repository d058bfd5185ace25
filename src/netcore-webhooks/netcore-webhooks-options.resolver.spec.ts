import { randomBytes } from 'node:crypto';
import type { NetcoreWebhooksOptions } from './netcore-webhooks-options.interface';
import { resolveNetcoreWebhooksOptions } from './netcore-webhooks-options.resolver';

const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const TOKEN = 'static-token-0123456789abcdef';
const resolve = (options: unknown) => resolveNetcoreWebhooksOptions(options as NetcoreWebhooksOptions);
const errorOf = (options: unknown): string => {
  try {
    resolve(options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
};

describe('resolveNetcoreWebhooksOptions: verification schemes and hardening', () => {
  it('fills the defaults of each scheme and of the hardening options', () => {
    expect(resolve({ verification: { scheme: 'shared-secret', secrets: [TOKEN] } })).toMatchObject({
      verification: { scheme: 'shared-secret', secrets: [TOKEN], header: 'x-netcore-token' },
      allowedIps: null,
      requireHttps: false,
      maxBodyBytes: 1024 * 1024,
    });
    expect(resolve({ verification: { scheme: 'standard-webhooks', secrets: [WHSEC] } }).verification).toEqual({
      scheme: 'standard-webhooks',
      secrets: [WHSEC],
      toleranceSeconds: 300,
    });
  });

  it('keeps explicit values', () => {
    const resolved = resolve({
      verification: { scheme: 'shared-secret', secrets: [TOKEN], header: 'X-Custom-Token' },
      allowedIps: [' 203.0.113.0/24', '2001:db8::/32'],
      requireHttps: true,
      maxBodyBytes: 65536,
    });
    expect(resolved).toMatchObject({
      verification: { header: 'x-custom-token' },
      allowedIps: ['203.0.113.0/24', '2001:db8::/32'],
      requireHttps: true,
      maxBodyBytes: 65536,
    });
  });

  it.each([
    ['a short shared secret', { verification: { scheme: 'shared-secret', secrets: ['short'] } }, /'verification.secrets\[0\]' is shorter than 16 characters.*openssl rand/],
    ['a shared-secret scheme without secrets', { verification: { scheme: 'shared-secret' } }, /'verification.secrets' must list at least one secret for scheme 'shared-secret'/],
    ['a bad header name', { verification: { scheme: 'shared-secret', secrets: [TOKEN], header: 'x token' } }, /'verification.header' is not a valid HTTP header name/],
    ['a standard-webhooks secret that is not base64', { verification: { scheme: 'standard-webhooks', secrets: [WHSEC, 'whsec_$$$'] } }, /'verification.secrets\[1\]' is not base64/],
    ['a standard-webhooks secret too short', { verification: { scheme: 'standard-webhooks', secrets: ['whsec_dGVzdA=='] } }, /'verification.secrets\[0\]' decodes to 4 bytes/],
    ['a zero tolerance', { verification: { scheme: 'standard-webhooks', secrets: [WHSEC], toleranceSeconds: 0 } }, /'verification.toleranceSeconds' must be an integer from 1 to 3600/],
    ['a bad CIDR', { verification: { scheme: 'none' }, allowedIps: ['10.0.0.0/8', '10.0.0.0/40'] }, /'allowedIps\[1\]' has a prefix length above 32 \(got "10.0.0.0\/40"\); use an address or CIDR range/],
    ['a host name in allowedIps', { verification: { scheme: 'none' }, allowedIps: ['netcore.example'] }, /'allowedIps\[0\]' is not an IP address/],
    ['an IPv6 prefix too long', { verification: { scheme: 'none' }, allowedIps: ['2001:db8::/129'] }, /'allowedIps\[0\]' has a prefix length above 128/],
    ['an abbreviated IPv4 address', { verification: { scheme: 'none' }, allowedIps: ['10.1'] }, /'allowedIps\[0\]' is not an IP address/],
    ['a range with two slashes', { verification: { scheme: 'none' }, allowedIps: ['10.0.0.0/8/8'] }, /'allowedIps\[0\]' is not an IP address/],
    ['a number in allowedIps', { verification: { scheme: 'none' }, allowedIps: [42] }, /'allowedIps\[0\]' must be a string/],
    ['an empty allowedIps', { verification: { scheme: 'none' }, allowedIps: [] }, /'allowedIps' must be a non-empty list.*leave it out/],
    ['a string for requireHttps', { verification: { scheme: 'none' }, requireHttps: 'yes' }, /'requireHttps' must be true or false/],
    ['a tiny maxBodyBytes', { verification: { scheme: 'none' }, maxBodyBytes: 10 }, /'maxBodyBytes' must be an integer number of bytes, at least 1024/],
    ['a maxBodyBytes written as text', { verification: { scheme: 'none' }, maxBodyBytes: '1mb' }, /'maxBodyBytes' must be an integer/],
    ['an unknown scheme', { verification: { scheme: 'jwt' } }, /unknown 'verification.scheme' "jwt"; use 'hmac', 'shared-secret', 'standard-webhooks'/],
  ])('refuses %s, naming the option', (_label, options, message) => {
    expect(errorOf(options)).toMatch(message);
  });

  it('never puts a secret in its error', () => {
    expect(errorOf({ verification: { scheme: 'shared-secret', secrets: ['tiny-secret'] } })).not.toContain('tiny-secret');
    expect(errorOf({ verification: { scheme: 'standard-webhooks', secrets: ['whsec_c2hvcnQ='] } })).not.toContain('c2hvcnQ');
  });
});
