import { createHmac } from 'node:crypto';

export interface SignNetcorePayloadOptions {
  /** @default 'sha256' */
  algorithm?: 'sha256' | 'sha512';
  /** @default 'hex' */
  encoding?: 'hex' | 'base64';
  /** Prepend `<algorithm>=` as some senders do. @default false */
  prefix?: boolean;
}

/**
 * The signature the `hmac` scheme expects for `rawBody`. Sign the exact string you send:
 * `request(app).post(path).set('content-type', 'application/json').set('x-netcore-signature', sig).send(body)`.
 */
export function signNetcorePayload(rawBody: string | Buffer, secret: string, options: SignNetcorePayloadOptions = {}): string {
  const { algorithm = 'sha256', encoding = 'hex', prefix = false } = options;
  const digest = createHmac(algorithm, secret).update(rawBody).digest(encoding);
  return prefix ? `${algorithm}=${digest}` : digest;
}
