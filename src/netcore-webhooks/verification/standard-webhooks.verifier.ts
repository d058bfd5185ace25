import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookVerificationError } from './webhook-verification.error';
import type { WebhookVerifier } from './webhook-verifier.interface';

export interface StandardWebhooksVerifierOptions {
  /** `whsec_<base64>` secrets (the prefix is optional); several at once allow rotation. */
  secrets: string[];
  /** Largest accepted distance between `webhook-timestamp` and now, either way. */
  toleranceSeconds: number;
  /** Clock in epoch milliseconds; tests pass a fixed one. @default Date.now */
  now?: () => number;
}

export const STANDARD_WEBHOOKS_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TIMESTAMP = /^\d{1,12}$/;
const MAX_ID_LENGTH = 256;

/** Decodes a `whsec_` secret; throws a message fit for a start-up error (never the secret itself). */
export function decodeStandardWebhooksSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw new Error('is not base64 (expected whsec_<base64>)');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16) throw new Error(`decodes to ${key.length} bytes; use at least 16 random bytes (the spec suggests 24 to 64)`);
  return key;
}

/**
 * The Standard Webhooks scheme (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>`, base64, sent as space-separated `v1,<sig>` entries;
 * the timestamp must be within the tolerance, which bounds how long a captured request can be replayed.
 */
export class StandardWebhooksVerifier implements WebhookVerifier {
  private readonly keys: Buffer[];
  private readonly now: () => number;

  constructor(private readonly options: StandardWebhooksVerifierOptions) {
    if (!options.secrets.length) throw new Error('StandardWebhooksVerifier needs at least one secret');
    this.keys = options.secrets.map((secret, i) => {
      try {
        return decodeStandardWebhooksSecret(secret);
      } catch (error) {
        throw new Error(`StandardWebhooksVerifier: secret ${i} ${(error as Error).message}`);
      }
    });
    this.now = options.now ?? Date.now;
  }

  /** `v1,<base64>` for this id, timestamp and body, with the first secret unless another is given. */
  sign(id: string, timestamp: Date | number, body: Buffer | string, secret?: string): string {
    const key = secret === undefined ? this.keys[0] : decodeStandardWebhooksSecret(secret);
    return `v1,${this.digest(key, id, toSeconds(timestamp), body).toString('base64')}`;
  }

  /** The three headers a request with `body` needs to pass this verifier. */
  signHeaders(
    body: Buffer | string,
    { id = `msg_${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`, timestamp = this.now(), secret }: {
      id?: string;
      timestamp?: Date | number;
      secret?: string;
    } = {},
  ): Record<string, string> {
    return {
      [STANDARD_WEBHOOKS_HEADERS.id]: id,
      [STANDARD_WEBHOOKS_HEADERS.timestamp]: String(toSeconds(timestamp)),
      [STANDARD_WEBHOOKS_HEADERS.signature]: this.sign(id, timestamp, body, secret),
    };
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders): void {
    const id = single(headers, STANDARD_WEBHOOKS_HEADERS.id);
    const timestamp = single(headers, STANDARD_WEBHOOKS_HEADERS.timestamp);
    const signatures = single(headers, STANDARD_WEBHOOKS_HEADERS.signature);
    if (id.length > MAX_ID_LENGTH) throw new WebhookVerificationError('webhook-id is too long', 'malformed');
    if (!TIMESTAMP.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not epoch seconds', 'malformed');
    const skew = Math.floor(this.now() / 1000) - Number(timestamp);
    if (Math.abs(skew) > this.options.toleranceSeconds) {
      throw new WebhookVerificationError(
        `webhook-timestamp is ${Math.abs(skew)}s ${skew > 0 ? 'old' : 'in the future'} (tolerance ${this.options.toleranceSeconds}s)`,
        'timestamp',
      );
    }
    const presented = signatures
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice(3))
      .filter((sig) => BASE64.test(sig))
      .map((sig) => Buffer.from(sig, 'base64'));
    if (!presented.length) throw new WebhookVerificationError('webhook-signature has no v1 signature', 'malformed');
    let matched = false;
    // Every key against every presented signature, so the time taken says nothing about which matched.
    for (const key of this.keys) {
      const expected = this.digest(key, id, Number(timestamp), rawBody);
      for (const sig of presented) if (sig.length === expected.length && timingSafeEqual(sig, expected)) matched = true;
    }
    if (!matched) throw new WebhookVerificationError('webhook-signature does not match any configured secret');
  }

  private digest(key: Buffer, id: string, seconds: number, body: Buffer | string): Buffer {
    return createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest();
  }
}

function toSeconds(timestamp: Date | number): number {
  return Math.floor((timestamp instanceof Date ? timestamp.getTime() : timestamp) / 1000);
}

function single(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined || value === '') throw new WebhookVerificationError(`missing ${name} header`, 'missing');
  if (Array.isArray(value)) throw new WebhookVerificationError(`more than one ${name} header`, 'malformed');
  return value;
}
