export const DEFAULT_WEBHOOK_PATH = 'webhooks/netcore';
export const DEFAULT_MAX_BATCH_SIZE = 1000;
export const DEFAULT_SIGNATURE_HEADER = 'x-netcore-signature';
export const DEFAULT_METRICS_PREFIX = 'netcore_webhooks_';
export const DEFAULT_RETRY = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000 } as const;
export const DEFAULT_RECOVERY = { sweepIntervalMs: 2000, leaseMs: 10_000, batchSize: 500 } as const;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Complete, validated options (see `resolveNetcoreWebhooksOptions`). */
export const NETCORE_WEBHOOKS_OPTIONS = Symbol('NETCORE_WEBHOOKS_OPTIONS');
export const DEFAULT_SHARED_SECRET_HEADER = 'x-netcore-token';
/** Standard Webhooks' recommended replay window, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
