import { Injectable, Optional } from '@nestjs/common';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';

/** Why the module refused a request before reading its events. */
export const NETCORE_REJECTION_REASONS = [
  'https_required',
  'ip_not_allowed',
  'unsupported_media_type',
  'body_too_large',
  'invalid_body',
  'signature_missing',
  'signature_malformed',
  'signature_mismatch',
  'signature_timestamp',
] as const;

export type NetcoreRejectionReason = (typeof NETCORE_REJECTION_REASONS)[number];

/**
 * Counts refused requests by reason, so an operator can see an attack or a wrong secret
 * (a rising `signature_mismatch` right after a deploy is usually the latter). Counts are per process;
 * a metrics exporter reads `snapshot()` and sums across instances.
 */
@Injectable()
export class NetcoreSecurityStats {
  private readonly counts = new Map<NetcoreRejectionReason, number>(NETCORE_REJECTION_REASONS.map((r) => [r, 0]));

  constructor(@Optional() private readonly metrics?: NetcoreWebhooksMetrics) {}

  record(reason: NetcoreRejectionReason): void {
    this.metrics?.requestRejected(reason);
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  count(reason: NetcoreRejectionReason): number {
    return this.counts.get(reason) ?? 0;
  }

  /** Requests refused because their signature (or token) was missing, malformed, wrong, or out of its time window. */
  get signatureFailures(): number {
    return NETCORE_REJECTION_REASONS.filter((r) => r.startsWith('signature_')).reduce((sum, r) => sum + this.count(r), 0);
  }

  /** Every reason with its count since start-up (zeros included). */
  snapshot(): Record<NetcoreRejectionReason, number> {
    return Object.fromEntries(this.counts) as Record<NetcoreRejectionReason, number>;
  }
}
