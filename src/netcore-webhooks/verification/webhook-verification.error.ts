/** Why a request failed verification, as counted by `NetcoreSecurityStats`. */
export type WebhookVerificationFailure = 'missing' | 'malformed' | 'mismatch' | 'timestamp';

/** The one error every verifier throws; `reason` is for logs and never contains a secret or signature. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: string,
    readonly failure: WebhookVerificationFailure = 'mismatch',
  ) {
    super(`Webhook verification failed: ${reason}`);
    this.name = 'WebhookVerificationError';
  }
}
