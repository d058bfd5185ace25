import { register as defaultRegistry } from 'prom-client';
import {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_METRICS_PREFIX,
  DEFAULT_RECOVERY,
  DEFAULT_RETRY,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_SHARED_SECRET_HEADER,
  DEFAULT_SIGNATURE_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
} from './netcore-webhooks.constants';
import type {
  NetcoreMetricsOptions,
  NetcoreVerificationOptions,
  NetcoreWebhooksOptions,
  ResolvedNetcoreVerificationOptions,
  ResolvedNetcoreWebhooksOptions,
} from './netcore-webhooks-options.interface';
import { parseIpAllowlistEntry } from './verification/ip-allowlist';
import { decodeStandardWebhooksSecret } from './verification/standard-webhooks.verifier';

/** A start-up error that names the option and the fix. */
export class NetcoreWebhooksConfigurationError extends Error {
  constructor(message: string) {
    super(`NetcoreWebhooksModule: ${message}`);
    this.name = 'NetcoreWebhooksConfigurationError';
  }
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const MIN_SHARED_SECRET_LENGTH = 16;

const fail = (message: string): never => {
  throw new NetcoreWebhooksConfigurationError(message);
};

/** Applies defaults and checks every option once, so the rest of the module can trust them. */
export function resolveNetcoreWebhooksOptions(
  options: NetcoreWebhooksOptions | undefined,
): ResolvedNetcoreWebhooksOptions {
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
  const resolvedVerification = resolveVerification(verification!);
  const allowedIps = resolveAllowedIps(options?.allowedIps);
  // Defaults for undefined only: null is refused, as any other non-boolean or non-integer.
  const { requireHttps = false, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options!;
  if (typeof requireHttps !== 'boolean') fail(`'requireHttps' must be true or false (got ${JSON.stringify(requireHttps)}).`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    fail(`'maxBodyBytes' must be an integer number of bytes, at least 1024 (got ${JSON.stringify(maxBodyBytes)}).`);
  }
  return {
    verification: resolvedVerification,
    maxBatchSize,
    processing,
    admin,
    allowedIps,
    requireHttps,
    maxBodyBytes,
    metrics: resolveMetrics(options?.metrics),
    ...resolveReliability(options),
  };
}

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`'${name}' must be an integer from ${min} to ${max} (got ${JSON.stringify(value)}).`);
  }
  return value as number;
}

function group(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') fail(`'${name}' must be an object (got ${JSON.stringify(value)}).`);
  return value as Record<string, unknown>;
}

function resolveReliability(options: NetcoreWebhooksOptions | undefined) {
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
  return { retry, recovery, shutdownTimeoutMs };
}

function resolveVerification(verification: NetcoreVerificationOptions): ResolvedNetcoreVerificationOptions {
  switch (verification.scheme) {
    case 'none':
      return { scheme: 'none' };
    case 'hmac': {
      const { algorithm = 'sha256', encoding = 'hex' } = verification;
      const secrets = checkSecrets(verification.scheme, verification.secrets, 'is NETCORE_WEBHOOK_SECRET set in the environment?');
      const header = checkHeader(verification.header, DEFAULT_SIGNATURE_HEADER);
      if (algorithm !== 'sha256' && algorithm !== 'sha512') {
        fail(`'verification.algorithm' must be 'sha256' or 'sha512' (got ${String(algorithm)}).`);
      }
      if (encoding !== 'hex' && encoding !== 'base64') {
        fail(`'verification.encoding' must be 'hex' or 'base64' (got ${String(encoding)}).`);
      }
      return { scheme: 'hmac', secrets, header, algorithm, encoding };
    }
    case 'shared-secret': {
      const secrets = checkSecrets(verification.scheme, verification.secrets, 'the value of the custom header set in Netcore');
      secrets.forEach((secret, i) => {
        if (secret.length < MIN_SHARED_SECRET_LENGTH) {
          fail(
            `'verification.secrets[${i}]' is shorter than ${MIN_SHARED_SECRET_LENGTH} characters; a static header must be a long ` +
              'random value (for example: openssl rand -hex 32).',
          );
        }
      });
      return { scheme: 'shared-secret', secrets, header: checkHeader(verification.header, DEFAULT_SHARED_SECRET_HEADER) };
    }
    case 'standard-webhooks': {
      const secrets = checkSecrets(verification.scheme, verification.secrets, 'the whsec_ secret of the gateway that signs');
      secrets.forEach((secret, i) => {
        try {
          decodeStandardWebhooksSecret(secret);
        } catch (error) {
          fail(`'verification.secrets[${i}]' ${(error as Error).message}.`);
        }
      });
      const toleranceSeconds = integer('verification.toleranceSeconds', verification.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS, 1, 3600);
      return { scheme: 'standard-webhooks', secrets, toleranceSeconds };
    }
    default:
      return fail(
        `unknown 'verification.scheme' ${JSON.stringify((verification as { scheme?: unknown }).scheme)}; ` +
          "use 'hmac', 'shared-secret', 'standard-webhooks', or 'none' to opt out explicitly.",
      );
  }
}

function checkSecrets(scheme: string, secrets: unknown, hint: string): string[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    fail(`'verification.secrets' must list at least one secret for scheme '${scheme}' (${hint}).`);
  }
  (secrets as unknown[]).forEach((secret, i) => {
    if (typeof secret !== 'string' || secret.length === 0) {
      fail(`'verification.secrets[${i}]' is empty or not a string; every secret must be a non-empty string.`);
    }
  });
  return [...(secrets as string[])];
}

function checkHeader(header: unknown, fallback: string): string {
  const name = typeof header === 'string' ? header.toLowerCase() : header === undefined ? fallback : '';
  if (!HEADER_NAME.test(name)) {
    fail(`'verification.header' is not a valid HTTP header name (got ${JSON.stringify(header)}).`);
  }
  return name;
}

function resolveAllowedIps(allowedIps: unknown): string[] | null {
  if (allowedIps === undefined || allowedIps === null) return null;
  if (!Array.isArray(allowedIps) || allowedIps.length === 0) {
    fail("'allowedIps' must be a non-empty list of addresses or CIDR ranges such as '203.0.113.0/24' (leave it out to allow any source).");
  }
  (allowedIps as unknown[]).forEach((entry, i) => {
    try {
      parseIpAllowlistEntry(entry);
    } catch (error) {
      fail(
        `'allowedIps[${i}]' ${(error as Error).message} (got ${JSON.stringify(entry)}); ` +
          "use an address or CIDR range such as '203.0.113.0/24' or '2001:db8::/32'.",
      );
    }
  });
  return (allowedIps as string[]).map((entry) => entry.trim());
}

function resolveMetrics(metrics: NetcoreMetricsOptions | undefined): Required<NetcoreMetricsOptions> {
  const registry = metrics?.registry ?? defaultRegistry;
  if (typeof registry?.registerMetric !== 'function' || typeof registry?.getSingleMetric !== 'function') {
    fail("'metrics.registry' must be a prom-client Registry (new Registry() from the prom-client your app uses).");
  }
  const prefix = metrics?.prefix ?? DEFAULT_METRICS_PREFIX;
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    fail(`'metrics.prefix' must be a Prometheus name prefix such as 'netcore_webhooks_' (got ${JSON.stringify(prefix)}).`);
  }
  return { registry, prefix };
}
