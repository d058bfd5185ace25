import type { IncomingHttpHeaders } from 'node:http';

/** A framework-free check that a request body came from the configured sender. */
export interface WebhookVerifier {
  /** Throws `WebhookVerificationError` unless `rawBody` carries a valid proof in `headers`. */
  verify(rawBody: Buffer, headers: IncomingHttpHeaders): void;
}

/** Injection token of the active verifier (absent when verification is `none`). */
export const NETCORE_WEBHOOK_VERIFIER = Symbol('NETCORE_WEBHOOK_VERIFIER');
