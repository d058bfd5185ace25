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

/**
 * The module's Prometheus metrics, registered on the host's registry (`metrics.registry`) or prom-client's default.
 * A metric already registered under the same name (a second app or registration in one process) is reused.
 */
@Injectable()
export class NetcoreWebhooksMetrics {
  readonly registry: Registry;
  private readonly received: Counter;
  private readonly accepted: Counter;
  private readonly duplicates: Counter;
  private readonly rejectedEvents: Counter<'reason'>;
  private readonly rejectedRequests: Counter<'reason'>;
  private readonly signatureFailures: Counter;
  private readonly processingFailures: Counter<'status'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly fieldsLeftOut: Counter<'status' | 'field'>;
  private readonly ackLatency: Histogram;
  private readonly dispatchLatency: Histogram<'outcome'>;
  private readonly batchLatency: Histogram;
  private readonly billingCommands: Counter<'kind' | 'outcome'>;

  constructor(@Inject(NETCORE_WEBHOOKS_OPTIONS) options: ResolvedNetcoreWebhooksOptions) {
    const { registry, prefix } = options.metrics;
    this.registry = registry;
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      reuse(registry, `${prefix}${name}`, () => new Counter<L>({ name: `${prefix}${name}`, help, labelNames, registers: [registry] }));
    const histogram = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      reuse(
        registry,
        `${prefix}${name}`,
        () => new Histogram<L>({ name: `${prefix}${name}`, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] }),
      );

    this.received = counter('events_received_total', 'Items received in delivery_status batches that passed the envelope checks');
    this.accepted = counter('events_accepted_total', 'New events stored in the inbox');
    this.duplicates = counter('events_duplicate_total', 'Events already stored (retried webhooks, repeats within a batch)');
    this.rejectedEvents = counter('events_rejected_total', 'Items refused one by one (stored as dead letters)', ['reason']);
    this.rejectedRequests = counter('requests_rejected_total', 'Requests refused as a whole, by reason', ['reason']);
    this.signatureFailures = counter('signature_failures_total', 'Requests whose signature (or token) was missing, malformed, wrong or out of its time window');
    this.processingFailures = counter('processing_failures_total', 'Listener failures while dispatching an event', ['status']);
    this.deadLetters = counter('dead_letters_total', 'Items and events moved to the dead letters', ['reason']);
    this.fieldsLeftOut = counter(
      'fields_left_out_total',
      'Invalid fields left out of accepted failed, delivered and read events (pricing left out cannot charge)',
      ['status', 'field'],
    );
    this.ackLatency = histogram('ack_latency_seconds', 'Time to validate and store a batch before answering 200');
    this.dispatchLatency = histogram('dispatch_latency_seconds', "Time to run the host's listeners of one event", ['outcome']);
    this.batchLatency = histogram('batch_processing_seconds', 'Time to write message state, billing and analytics for one batch of events');
    this.billingCommands = counter('billing_commands_total', "Billing outbox commands sent to a host's sink, failed (retried) or dead", ['kind', 'outcome']);
  }

  /** One stored batch: counts and the time it took to acknowledge it. */
  batchStored(received: number, result: NetcoreIngestResult, ms: number): void {
    this.received.inc(received);
    if (result.accepted) this.accepted.inc(result.accepted);
    if (result.duplicates) this.duplicates.inc(result.duplicates);
    if (result.rejected) {
      this.rejectedEvents.inc({ reason: 'validation' }, result.rejected);
      this.deadLetters.inc({ reason: 'validation' }, result.rejected);
    }
    this.ackLatency.observe(ms / 1000);
  }

  /** An accepted event's invalid fields, left out of it. */
  fieldsLeftOutOf(status: string, fields: readonly string[]): void {
    for (const field of fields) this.fieldsLeftOut.inc({ status, field });
  }

  requestRejected(reason: NetcoreRequestRejectionReason): void {
    this.rejectedRequests.inc({ reason });
    if (reason.startsWith('signature_')) this.signatureFailures.inc();
  }

  processingFailed(status: string): void {
    this.processingFailures.inc({ status });
  }

  deadLettered(reason: NetcoreDeadLetterMetricReason, count = 1): void {
    this.deadLetters.inc({ reason }, count);
  }

  /** Runs the module's own processing of one batch and records how long it took. */
  async timeBatch<T>(run: () => Promise<T>): Promise<T> {
    const stop = this.batchLatency.startTimer();
    try {
      return await run();
    } finally {
      stop();
    }
  }

  /** A billing command the relay sent to a host's sink, or that failed (retried) or died. */
  billingCommand(kind: string, outcome: 'sent' | 'failed' | 'dead'): void {
    this.billingCommands.inc({ kind, outcome });
  }

  /** Runs one event's listeners and records how long they took, and whether they succeeded. */
  async timeDispatch<T>(run: () => Promise<T>): Promise<T> {
    const stop = this.dispatchLatency.startTimer();
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

function reuse<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
