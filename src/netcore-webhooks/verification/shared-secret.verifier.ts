import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookVerificationError } from './webhook-verification.error';
import type { WebhookVerifier } from './webhook-verifier.interface';

export interface SharedSecretVerifierOptions {
  /** Accepted header values; several at once allow rotation. */
  secrets: string[];
  /** Lower-case header name. */
  header: string;
}

const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();

/**
 * A static header value, as Netcore's dashboard custom header sends it. It proves knowledge of the
 * secret, not the integrity of the body: use it over HTTPS only.
 */
export class SharedSecretVerifier implements WebhookVerifier {
  private readonly digests: Buffer[];

  constructor(private readonly options: SharedSecretVerifierOptions) {
    if (!options.secrets.length || options.secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new Error('SharedSecretVerifier needs at least one non-empty secret');
    }
    this.digests = options.secrets.map(digest);
  }

  /** The header value the verifier accepts: the first secret unless another is given. */
  sign(secret: string = this.options.secrets[0]): string {
    return secret;
  }

  /** The headers a request needs to pass this verifier (the body is not covered). */
  signHeaders(_body?: Buffer | string, secret?: string): Record<string, string> {
    return { [this.options.header]: this.sign(secret) };
  }

  verify(_rawBody: Buffer, headers: IncomingHttpHeaders): void {
    const header = headers[this.options.header];
    if (header === undefined || header === '') throw new WebhookVerificationError(`missing ${this.options.header} header`, 'missing');
    if (Array.isArray(header)) throw new WebhookVerificationError(`more than one ${this.options.header} header`, 'malformed');
    // Digests have one length whatever was presented, so the comparison time says nothing about the secret.
    const presented = digest(Buffer.from(header, 'latin1'));
    let matched = false;
    for (const expected of this.digests) if (timingSafeEqual(presented, expected)) matched = true;
    if (!matched) throw new WebhookVerificationError(`${this.options.header} does not match any configured secret`);
  }
}
