import { WebhookVerificationError } from '../../src/netcore-webhooks/verification/webhook-verification.error';

/** The WebhookVerificationError `fn` throws; fails the test if it throws something else or nothing. */
export function failureOf(fn: () => void): WebhookVerificationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebhookVerificationError);
    return e as WebhookVerificationError;
  }
  throw new Error('expected verification to fail');
}
