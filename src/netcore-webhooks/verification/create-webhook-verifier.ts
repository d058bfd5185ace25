import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { HmacVerifier } from './hmac.verifier';
import { SharedSecretVerifier } from './shared-secret.verifier';
import { StandardWebhooksVerifier } from './standard-webhooks.verifier';
import type { WebhookVerifier } from './webhook-verifier.interface';

/** The verifier for the configured scheme; `null` only when the host opted out with `none`. */
export function createWebhookVerifier(options: ResolvedNetcoreWebhooksOptions): WebhookVerifier | null {
  const { verification } = options;
  switch (verification.scheme) {
    case 'hmac':
      return new HmacVerifier(verification);
    case 'shared-secret':
      return new SharedSecretVerifier(verification);
    case 'standard-webhooks':
      return new StandardWebhooksVerifier(verification);
    case 'none':
      return null;
  }
}
