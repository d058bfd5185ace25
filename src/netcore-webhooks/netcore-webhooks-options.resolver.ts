import {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_RECOVERY,
  DEFAULT_RETRY,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
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
  const integer = (name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(`'${name}' must be an integer from ${min} to ${max} (got ${JSON.stringify(value)}).`);
    }
    return value as number;
  };
  const group = (name: string, value: unknown): Record<string, unknown> => {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object') fail(`'${name}' must be an object (got ${JSON.stringify(value)}).`);
    return value as Record<string, unknown>;
  };
  const retryIn = group('retry', options?.retry);
  const retry = {
    maxAttempts: integer('retry.maxAttempts', retryIn.maxAttempts ?? DEFAULT_RETRY.maxAttempts, 1, 1000),
    baseDelayMs: integer('retry.baseDelayMs', retryIn.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs, 1),
    maxDelayMs: integer('retry.maxDelayMs', retryIn.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs, 1),
  };
  if (retry.maxDelayMs < retry.baseDelayMs) {
    fail(`'retry.maxDelayMs' (${retry.maxDelayMs}) must not be below 'retry.baseDelayMs' (${retry.baseDelayMs}).`);
  }
  const recoveryIn = group('recovery', options?.recovery);
  const recovery = {
    sweepIntervalMs: integer('recovery.sweepIntervalMs', recoveryIn.sweepIntervalMs ?? DEFAULT_RECOVERY.sweepIntervalMs, 10),
    leaseMs: integer('recovery.leaseMs', recoveryIn.leaseMs ?? DEFAULT_RECOVERY.leaseMs, 100),
    batchSize: integer('recovery.batchSize', recoveryIn.batchSize ?? DEFAULT_RECOVERY.batchSize, 1, 10_000),
  };
  const shutdownTimeoutMs = integer('shutdownTimeoutMs', options?.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, 0);
  const base = { maxBatchSize, processing, admin, retry, recovery, shutdownTimeoutMs };

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
