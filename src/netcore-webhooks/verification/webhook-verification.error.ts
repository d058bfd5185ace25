/** The one error every verifier throws; `reason` is for logs and never contains a secret or signature. */
export class WebhookVerificationError extends Error {
  constructor(readonly reason: string) {
    super(`Webhook verification failed: ${reason}`);
    this.name = 'WebhookVerificationError';
  }
}
