import { register as defaultRegistry } from 'prom-client';
import {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_METRICS_PREFIX,
  DEFAULT_SIGNATURE_HEADER,
} from './netcore-webhooks.constants';
import type {
  NetcoreWebhooksOptions,
  ResolvedNetcoreWebhooksOptions,
} from './netcore-webhooks-options.interface';

/** A start-up error that names the option and the fix. */
export class NetcoreWebhooksConfigurationError extends Error {
  constructor(message: string) {
    super(`NetcoreWebhooksModule: ${message}`);
    this.name = 'NetcoreWebhooksConfigurationError';
  }
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** Applies defaults and checks every option once, so the rest of the module can trust them. */
export function resolveNetcoreWebhooksOptions(
  options: NetcoreWebhooksOptions | undefined,
): ResolvedNetcoreWebhooksOptions {
  const fail = (message: string): never => {
    throw new NetcoreWebhooksConfigurationError(message);
  };
  const verification = options?.verification;
  if (!verification || typeof verification !== 'object') {
    fail(
      "the 'verification' option is required. Set verification: { scheme: 'hmac', secrets: [process.env.NETCORE_WEBHOOK_SECRET] }, " +
        "or opt out explicitly with verification: { scheme: 'none' }.",
    );
  }
  const maxBatchSize = options?.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    fail(`'maxBatchSize' must be a positive integer (got ${String(options?.maxBatchSize)}).`);
  }
  const processing = options?.processing ?? 'async';
  if (processing !== 'async' && processing !== 'inline') {
    fail(`'processing' must be 'async' or 'inline' (got ${String(processing)}).`);
  }
  const admin = options?.admin ?? null;
  if (admin !== null && (typeof admin !== 'object' || typeof admin.token !== 'string' || admin.token.length < 16)) {
    fail("'admin.token' must be a string of at least 16 characters (or leave 'admin' out to disable the admin endpoints).");
  }
  const registry = options?.metrics?.registry ?? defaultRegistry;
  if (typeof registry?.registerMetric !== 'function' || typeof registry?.getSingleMetric !== 'function') {
    fail("'metrics.registry' must be a prom-client Registry (new Registry() from the prom-client your app uses).");
  }
  const prefix = options?.metrics?.prefix ?? DEFAULT_METRICS_PREFIX;
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    fail(`'metrics.prefix' must be a Prometheus name prefix such as 'netcore_webhooks_' (got ${JSON.stringify(prefix)}).`);
  }
  const base = { maxBatchSize, processing, admin, metrics: { registry, prefix } };

  switch (verification!.scheme) {
    case 'none':
      return { ...base, verification: { scheme: 'none' } };
    case 'hmac': {
      const { secrets, header, algorithm = 'sha256', encoding = 'hex' } = verification!;
      if (!Array.isArray(secrets) || secrets.length === 0) {
        fail(
          "'verification.secrets' must list at least one secret for scheme 'hmac' " +
            '(is NETCORE_WEBHOOK_SECRET set in the environment?).',
        );
      }
      secrets.forEach((secret, i) => {
        if (typeof secret !== 'string' || secret.length === 0) {
          fail(`'verification.secrets[${i}]' is empty or not a string; every secret must be a non-empty string.`);
        }
      });
      const headerName = (header ?? DEFAULT_SIGNATURE_HEADER).toLowerCase();
      if (!HEADER_NAME.test(headerName)) {
        fail(`'verification.header' is not a valid HTTP header name (got ${JSON.stringify(header)}).`);
      }
      if (algorithm !== 'sha256' && algorithm !== 'sha512') {
        fail(`'verification.algorithm' must be 'sha256' or 'sha512' (got ${String(algorithm)}).`);
      }
      if (encoding !== 'hex' && encoding !== 'base64') {
        fail(`'verification.encoding' must be 'hex' or 'base64' (got ${String(encoding)}).`);
      }
      return {
        ...base,
        verification: { scheme: 'hmac', secrets: [...secrets], header: headerName, algorithm, encoding },
      };
    }
    default:
      return fail(
        `unknown 'verification.scheme' ${JSON.stringify((verification as { scheme?: unknown }).scheme)}; ` +
          "use 'hmac', or 'none' to opt out explicitly.",
      );
  }
}
