import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request fields the guards read. Express and Fastify both provide them, and both derive `ip` and
 * `protocol` from the app's trust-proxy setting.
 */
export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  ip?: string;
  /** Express. */
  secure?: boolean;
  /** Express and Fastify: 'http' or 'https'. */
  protocol?: string;
  rawBody?: Buffer;
  body?: unknown;
}

/** For log lines: the source address, escaped and bounded. */
export function describeSource(request: WebhookRequest): string {
  return JSON.stringify(String(request.ip ?? 'unknown').slice(0, 64));
}
