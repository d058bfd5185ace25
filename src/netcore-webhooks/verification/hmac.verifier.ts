import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookVerificationError } from './webhook-verification.error';
import type { WebhookVerifier } from './webhook-verifier.interface';

export interface HmacVerifierOptions {
  secrets: string[];
  /** Lower-case header name. */
  header: string;
  algorithm: 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
}

const HEX = /^[0-9a-f]+$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** HMAC over the exact body bytes; any configured secret may have signed it (rotation). */
export class HmacVerifier implements WebhookVerifier {
  private readonly keys: Buffer[];

  constructor(private readonly options: HmacVerifierOptions) {
    if (!options.secrets.length || options.secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new Error('HmacVerifier needs at least one non-empty secret');
    }
    this.keys = options.secrets.map((s) => Buffer.from(s, 'utf8'));
  }

  /** Signs `body` as the verifier expects it, with the first secret unless another is given. */
  sign(body: Buffer | string, secret: string = this.options.secrets[0]): string {
    return createHmac(this.options.algorithm, secret).update(body).digest(this.options.encoding);
  }

  /** The headers a request with `body` needs to pass this verifier. */
  signHeaders(body: Buffer | string, secret?: string): Record<string, string> {
    return { [this.options.header]: this.sign(body, secret) };
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders): void {
    const provided = this.decode(headers[this.options.header]);
    let matched = false;
    // Every key is tried, so the time taken does not say which one (if any) matched.
    for (const key of this.keys) {
      const expected = createHmac(this.options.algorithm, key).update(rawBody).digest();
      if (expected.length === provided.length && timingSafeEqual(expected, provided)) matched = true;
    }
    if (!matched) throw new WebhookVerificationError('signature does not match any configured secret');
  }

  private decode(header: string | string[] | undefined): Buffer {
    if (header === undefined || header === '') {
      throw new WebhookVerificationError(`missing ${this.options.header} header`, 'missing');
    }
    if (Array.isArray(header)) throw new WebhookVerificationError(`more than one ${this.options.header} header`, 'malformed');
    let value = header.trim();
    const prefix = `${this.options.algorithm}=`;
    if (value.toLowerCase().startsWith(prefix)) value = value.slice(prefix.length);
    const wellFormed = this.options.encoding === 'hex' ? HEX.test(value) && value.length % 2 === 0 : BASE64.test(value);
    if (!wellFormed) throw new WebhookVerificationError(`malformed ${this.options.header} header`, 'malformed');
    return Buffer.from(value, this.options.encoding);
  }
}
