import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { NetcoreVerificationOptions } from '../../src';

/**
 * How a sender signs for each scheme, written independently of the module's verifiers: node:crypto
 * for HMAC, the header value for shared-secret, the `standardwebhooks` npm package for Standard Webhooks.
 */
export interface SchemeSigner {
  scheme: 'hmac' | 'shared-secret' | 'standard-webhooks';
  /** Three distinct valid secrets: configured, previous (configured too, for rotation), retired (not configured). */
  secrets: { current: string; previous: string; retired: string };
  verification(secrets: string[]): NetcoreVerificationOptions;
  /** Headers a sender holding `secret` attaches to `body`; `at` is the signing time (epoch ms). */
  sign(body: string, secret: string, at?: number): Record<string, string>;
  /** Header names the proof travels in. */
  headers: string[];
  /** Whether the proof covers the body bytes (a shared secret does not). */
  signsBody: boolean;
}

const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
const token = () => randomBytes(24).toString('hex');
let messageSequence = 0;

export const SCHEME_SIGNERS: SchemeSigner[] = [
  {
    scheme: 'hmac',
    secrets: { current: token(), previous: token(), retired: token() },
    verification: (secrets) => ({ scheme: 'hmac', secrets }),
    sign: (body, secret) => ({ 'x-netcore-signature': createHmac('sha256', secret).update(body).digest('hex') }),
    headers: ['x-netcore-signature'],
    signsBody: true,
  },
  {
    scheme: 'shared-secret',
    secrets: { current: token(), previous: token(), retired: token() },
    verification: (secrets) => ({ scheme: 'shared-secret', secrets }),
    sign: (_body, secret) => ({ 'x-netcore-token': secret }),
    headers: ['x-netcore-token'],
    signsBody: false,
  },
  {
    scheme: 'standard-webhooks',
    secrets: { current: whsec(), previous: whsec(), retired: whsec() },
    verification: (secrets) => ({ scheme: 'standard-webhooks', secrets }),
    sign: (body, secret, at = Date.now()) => {
      const id = `msg_${process.pid}_${messageSequence++}`;
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, new Date(at), body),
      };
    },
    headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    signsBody: true,
  },
];
