import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { NetcoreIngestResult } from '../ingest/netcore-ingest-result';
import type { NetcoreRejectionReason } from '../security/netcore-security-stats.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';

/** Why a whole request was refused: a security refusal (guards, envelope), or storage failing. */
export type NetcoreRequestRejectionReason = NetcoreRejectionReason | 'storage_unavailable' | 'unstorable_batch';
export type NetcoreDeadLetterMetricReason = 'validation' | 'processing' | 'billing';

// Netcore wants an answer within 2-3 s: the buckets are dense below that.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10];

/** The metrics on the host's registry; one already registered under the same name (a second app or registration in one process) is reused. */
function createMetrics({ registry, prefix }: ResolvedNetcoreWebhooksOptions['metrics']) {
  const reuse = <M>(name: string, create: () => M): M => (registry.getSingleMetric(`${prefix}${name}`) as M | undefined) ?? create();
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    reuse(name, () => new Counter<L>({ name: `${prefix}${name}`, help, labelNames, registers: [registry] }));
  const histogram = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    reuse(name, () => new Histogram<L>({ name: `${prefix}${name}`, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] }));
  return {
    received: counter('events_received_total', 'Items received in delivery_status batches that passed the envelope checks'),
    accepted: counter('events_accepted_total', 'New events stored in the inbox'),
    duplicates: counter('events_duplicate_total', 'Events already stored (retried webhooks, repeats within a batch)'),
    rejectedEvents: counter('events_rejected_total', 'Items refused one by one (stored as dead letters)', ['reason']),
    rejectedRequests: counter('requests_rejected_total', 'Requests refused as a whole, by reason', ['reason']),
    signatureFailures: counter('signature_failures_total', 'Requests whose signature (or token) was missing, malformed, wrong or out of its time window'),
    processingFailures: counter('processing_failures_total', 'Listener failures while dispatching an event', ['status']),
    deadLetters: counter('dead_letters_total', 'Items and events moved to the dead letters', ['reason']),
    fieldsLeftOut: counter(
      'fields_left_out_total',
      'Invalid fields left out of accepted failed, delivered and read events (pricing left out cannot charge)',
      ['status', 'field'],
    ),
    ackLatency: histogram('ack_latency_seconds', 'Time to validate and store a batch before answering 200'),
    dispatchLatency: histogram('dispatch_latency_seconds', "Time to run the host's listeners of one event", ['outcome']),
    batchLatency: histogram('batch_processing_seconds', 'Time to write message state, billing and analytics for one batch of events'),
    billingCommands: counter('billing_commands_total', "Billing outbox commands sent to a host's sink, failed (retried) or dead", ['kind', 'outcome']),
  };
}

/** The module's Prometheus metrics, on the host's registry (`metrics.registry`) or prom-client's default. */
@Injectable()
export class NetcoreWebhooksMetrics {
  readonly registry: Registry;
  private readonly m: ReturnType<typeof createMetrics>;

  constructor(@Inject(NETCORE_WEBHOOKS_OPTIONS) options: ResolvedNetcoreWebhooksOptions) {
    this.registry = options.metrics.registry;
    this.m = createMetrics(options.metrics);
  }

  /** One stored batch: counts and the time it took to acknowledge it. */
  batchStored(received: number, result: NetcoreIngestResult, ms: number): void {
    this.m.received.inc(received);
    if (result.accepted) this.m.accepted.inc(result.accepted);
    if (result.duplicates) this.m.duplicates.inc(result.duplicates);
    if (result.rejected) {
      this.m.rejectedEvents.inc({ reason: 'validation' }, result.rejected);
      this.m.deadLetters.inc({ reason: 'validation' }, result.rejected);
    }
    this.m.ackLatency.observe(ms / 1000);
  }

  /** An accepted event's invalid fields, left out of it. */
  fieldsLeftOutOf(status: string, fields: readonly string[]): void {
    for (const field of fields) this.m.fieldsLeftOut.inc({ status, field });
  }

  requestRejected(reason: NetcoreRequestRejectionReason): void {
    this.m.rejectedRequests.inc({ reason });
    if (reason.startsWith('signature_')) this.m.signatureFailures.inc();
  }

  processingFailed(status: string): void {
    this.m.processingFailures.inc({ status });
  }

  deadLettered(reason: NetcoreDeadLetterMetricReason, count = 1): void {
    this.m.deadLetters.inc({ reason }, count);
  }

  /** Runs the module's own processing of one batch and records how long it took. */
  async timeBatch<T>(run: () => Promise<T>): Promise<T> {
    const stop = this.m.batchLatency.startTimer();
    try {
      return await run();
    } finally {
      stop();
    }
  }

  /** A billing command the relay sent to a host's sink, or that failed (retried) or died. */
  billingCommand(kind: string, outcome: 'sent' | 'failed' | 'dead'): void {
    this.m.billingCommands.inc({ kind, outcome });
  }

  /** Runs one event's listeners and records how long they took, and whether they succeeded. */
  async timeDispatch<T>(run: () => Promise<T>): Promise<T> {
    const stop = this.m.dispatchLatency.startTimer();
    try {
      const value = await run();
      stop({ outcome: 'processed' });
      return value;
    } catch (error) {
      stop({ outcome: 'failed' });
      throw error;
    }
  }
}
