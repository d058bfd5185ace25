import type { Registry } from 'prom-client';
import type { InjectionToken, ModuleMetadata, Type } from '@nestjs/common';
import type { NetcoreAnalyticsSink } from './analytics/netcore-analytics-sink.interface';
import type { NetcoreBillingSink } from './billing/netcore-billing-sink.interface';

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

/**
 * A static header value, compared in constant time: what Netcore's dashboard custom header sends.
 * It does not sign the body, so use it over HTTPS (see `requireHttps`).
 */
export interface NetcoreSharedSecretVerificationOptions {
  scheme: 'shared-secret';
  /** Accepted header values, each at least 16 characters. Several at once allow rotation. */
  secrets: string[];
  /** @default 'x-netcore-token' */
  header?: string;
}

/**
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), for a gateway that
 * re-signs Netcore's requests in front of this app.
 */
export interface NetcoreStandardWebhooksVerificationOptions {
  scheme: 'standard-webhooks';
  /** `whsec_<base64>` secrets. Several at once allow rotation. */
  secrets: string[];
  /**
   * Largest accepted distance between `webhook-timestamp` and the server clock, either way (replay window).
   * @default 300
   */
  toleranceSeconds?: number;
}

/** Explicit opt-out: every request is accepted without proof of origin. */
export interface NetcoreNoVerificationOptions {
  scheme: 'none';
}

export type NetcoreVerificationOptions =
  | NetcoreHmacVerificationOptions
  | NetcoreSharedSecretVerificationOptions
  | NetcoreStandardWebhooksVerificationOptions
  | NetcoreNoVerificationOptions;

/** A verification scheme after defaults were applied. */
export type ResolvedNetcoreVerificationOptions =
  | Required<NetcoreHmacVerificationOptions>
  | Required<NetcoreSharedSecretVerificationOptions>
  | Required<NetcoreStandardWebhooksVerificationOptions>
  | NetcoreNoVerificationOptions;

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
   * `Authorization: Bearer <token>`. Without it those routes are not mapped (404, absent from OpenAPI).
   * With `forRootAsync`, also declare `adminRoutes: true`.
   */
  admin?: NetcoreAdminOptions;
  /**
   * Source addresses allowed to POST webhooks: IPv4/IPv6 addresses or CIDR ranges (`'203.0.113.0/24'`,
   * `'2001:db8::/32'`). The address is `req.ip`, so the app's `trust proxy` setting decides whether
   * `X-Forwarded-For` counts. Others get 403. Unset: any source.
   */
  allowedIps?: string[];
  /**
   * Refuse plain-HTTP requests with 403. Behind a TLS-terminating proxy, set the app's `trust proxy`
   * so `X-Forwarded-Proto` counts.
   * @default false
   */
  requireHttps?: boolean;
  /**
   * Largest request body accepted on the webhook route, in bytes; larger gets 413. The app's JSON body
   * parser must allow at least this much (`app.useBodyParser('json', { limit })`, see the README).
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /** Where the module's Prometheus metrics are registered. */
  metrics?: NetcoreMetricsOptions;
  /** Retries of an event whose listener threw (exponential backoff with jitter), then a dead letter. */
  retry?: NetcoreRetryOptions;
  /** How the worker finds due rows and claims them (after a crash, a failure, or another instance's death). */
  recovery?: NetcoreRecoveryOptions;
  /**
   * On app close: how long to wait for processing in progress; rows still held then are retaken when their claim runs out.
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
  /**
   * How often the worker looks for due work it was not woken for: another instance's rows whose claim ran out,
   * outbox commands. Ingest and this instance's retries wake it at once. @default 2000
   */
  sweepIntervalMs?: number;
  /**
   * How long a claim on a row lasts without renewal. The instance holding it renews it every third of this while
   * it works, so a crashed instance's rows are retaken by another (or by itself after a restart) within about
   * `leaseMs + sweepIntervalMs`. @default 10000
   */
  leaseMs?: number;
  /** Rows claimed at once (one batch). @default 500 */
  batchSize?: number;
}

export interface NetcoreMetricsOptions {
  /**
   * The host's prom-client registry (the one its `/metrics` endpoint serves).
   * @default prom-client's default registry (`register`)
   */
  registry?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'netcore_webhooks_'
   */
  prefix?: string;
}

export interface NetcoreAdminOptions {
  /** Bearer token required by the admin endpoints; use a long random value. */
  token: string;
}

/**
 * A host-provided implementation of a sink, declared like a Nest provider. `imports` makes a provider of
 * another module visible to `useExisting` / `inject`.
 */
export type NetcoreSinkOption<T> = (
  | { useClass: Type<T> }
  | { useExisting: InjectionToken }
  | { useFactory: (...args: any[]) => T | Promise<T>; inject?: InjectionToken[] }
) & { imports?: ModuleMetadata['imports'] };

/** Known when the module is declared (also with `forRootAsync`), because routes are fixed at that point. */
export interface NetcoreWebhooksModuleExtras {
  /**
   * Route that receives Netcore's POSTs, relative to the app's global prefix.
   * @default 'webhooks/netcore'
   */
  path?: string;
  /** Register the module's exported providers globally. @default false */
  isGlobal?: boolean;
  /**
   * Maps the admin endpoints (analytics, dead letters). Routes are fixed when the module is declared, while
   * `forRootAsync` options (and so `admin.token`) arrive at start-up: there, set `adminRoutes: true` and
   * return `admin: { token }` from the factory. `forRoot` maps them when `admin` is set. A mismatch stops
   * start-up with an error naming the fix.
   * @default true with forRoot when `admin` is set, else false
   */
  adminRoutes?: boolean;
  /** Replaces the billing sink. @default TypeOrmBillingSink (ledger in `netcore_billing_records`) */
  billingSink?: NetcoreSinkOption<NetcoreBillingSink>;
  /** Replaces the analytics sink. @default TypeOrmAnalyticsSink (daily counters) */
  analyticsSink?: NetcoreSinkOption<NetcoreAnalyticsSink>;
}

/** Everything `NetcoreWebhooksModule.forRoot()` accepts. */
export type NetcoreWebhooksModuleOptions = NetcoreWebhooksOptions & NetcoreWebhooksModuleExtras;

/** Options after defaults were applied and every value was checked. */
export interface ResolvedNetcoreWebhooksOptions {
  verification: ResolvedNetcoreVerificationOptions;
  maxBatchSize: number;
  /** `null`: any source. */
  allowedIps: string[] | null;
  requireHttps: boolean;
  maxBodyBytes: number;
  processing: 'async' | 'inline';
  admin: NetcoreAdminOptions | null;
  metrics: Required<NetcoreMetricsOptions>;
  retry: Required<NetcoreRetryOptions>;
  recovery: Required<NetcoreRecoveryOptions>;
  shutdownTimeoutMs: number;
}
