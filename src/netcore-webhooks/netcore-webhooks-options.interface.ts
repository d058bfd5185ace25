/** HMAC of the exact raw request body, sent in a header. */
export interface NetcoreHmacVerificationOptions {
  scheme: 'hmac';
  /** Accepted secrets. Several at once allow rotation without downtime. */
  secrets: string[];
  /** @default 'x-netcore-signature' */
  header?: string;
  /** @default 'sha256' */
  algorithm?: 'sha256' | 'sha512';
  /** @default 'hex' */
  encoding?: 'hex' | 'base64';
}

/** Explicit opt-out: every request is accepted without proof of origin. */
export interface NetcoreNoVerificationOptions {
  scheme: 'none';
}

export type NetcoreVerificationOptions = NetcoreHmacVerificationOptions | NetcoreNoVerificationOptions;

/** Options accepted by `forRoot` and returned by `forRootAsync` factories. */
export interface NetcoreWebhooksOptions {
  /** How a request proves that Netcore sent it. Required: there is no insecure default. */
  verification: NetcoreVerificationOptions;
  /**
   * Largest number of items accepted in one `delivery_status` batch; larger batches get 400.
   * @default 1000
   */
  maxBatchSize?: number;
  /**
   * `async`: answer 200 once the batch is stored, emit domain events right after.
   * `inline`: store, emit and wait for listeners before answering (still stored first).
   * @default 'async'
   */
  processing?: 'async' | 'inline';
  /**
   * Enables the module's admin endpoints (analytics, dead letters) under `path`, guarded by
   * `Authorization: Bearer <token>`. Without it those endpoints answer 404.
   */
  admin?: NetcoreAdminOptions;
  /** Retries of an event whose listener threw (exponential backoff with jitter), then a dead letter. */
  retry?: NetcoreRetryOptions;
  /** The recovery sweep that claims due inbox rows (after a crash, a failure, or another instance's death). */
  recovery?: NetcoreRecoveryOptions;
  /**
   * On app close: how long to wait for in-flight dispatch before leaving the rest to the sweep.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
}

export interface NetcoreRetryOptions {
  /** Attempts in all (the first included); then the event goes to the dead letters. @default 8 */
  maxAttempts?: number;
  /** Delay before the first retry; doubled on each further one, with jitter. @default 1000 */
  baseDelayMs?: number;
  /** Upper bound of one delay. @default 300000 (5 minutes) */
  maxDelayMs?: number;
}

export interface NetcoreRecoveryOptions {
  /** How often due rows are looked for; retries also wake the sweep when they fall due. @default 5000 */
  sweepIntervalMs?: number;
  /**
   * How long a claimed row stays reserved for the instance dispatching it; after that (a crash) another
   * instance takes it over. Keep it well above the time your listeners need for one batch. @default 60000
   */
  leaseMs?: number;
  /** Rows claimed per query. @default 100 */
  batchSize?: number;
}

export interface NetcoreAdminOptions {
  /** Bearer token required by the admin endpoints; use a long random value. */
  token: string;
}

/** Known when the module is declared (also with `forRootAsync`), because routes are fixed at that point. */
export interface NetcoreWebhooksModuleExtras {
  /**
   * Route that receives Netcore's POSTs, relative to the app's global prefix.
   * @default 'webhooks/netcore'
   */
  path?: string;
  /** Register the module's exported providers globally. @default false */
  isGlobal?: boolean;
}

/** Everything `NetcoreWebhooksModule.forRoot()` accepts. */
export type NetcoreWebhooksModuleOptions = NetcoreWebhooksOptions & NetcoreWebhooksModuleExtras;

/** Options after defaults were applied and every value was checked. */
export interface ResolvedNetcoreWebhooksOptions {
  verification: Required<NetcoreHmacVerificationOptions> | NetcoreNoVerificationOptions;
  maxBatchSize: number;
  processing: 'async' | 'inline';
  admin: NetcoreAdminOptions | null;
  retry: Required<NetcoreRetryOptions>;
  recovery: Required<NetcoreRecoveryOptions>;
  shutdownTimeoutMs: number;
}
