import { BadRequestException, Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { isDataError } from '../database/is-data-error';
import { validateDeliveryStatus } from '../dto/validate-delivery-status';
import { NetcoreWorker } from '../dispatch/netcore-worker.service';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { idempotencyKey } from './idempotency-key';
import { timeOrderedId } from './time-ordered-id';
import type { InboxWriteResult, PendingInboxRow } from './inbox-write';
import { NetcoreInboxWriter } from './netcore-inbox-writer.service';
import type { NetcoreIngestResult } from './netcore-ingest-result';
import { truncateForLog } from './truncate-for-log';

/** Validates each item on its own and stores the batch (grouped with concurrent ones) before anything is acknowledged. */
@Injectable()
export class NetcoreIngestService {
  private readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    private readonly inbox: NetcoreInboxWriter,
    private readonly worker: NetcoreWorker,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    private readonly metrics: NetcoreWebhooksMetrics,
  ) {}

  async ingest(items: readonly unknown[]): Promise<NetcoreIngestResult> {
    const started = Date.now();
    const now = new Date(started);
    const byKey = new Map<string, PendingInboxRow>();
    const rejectedByFingerprint = new Map<string, NetcoreDeadLetter>();
    let duplicates = 0;
    let rejectedCount = 0;

    for (const raw of items) {
      const payload = JSON.stringify(raw);
      const result = validateDeliveryStatus(raw);
      if (!result.valid) {
        this.collectRejected(rejectedByFingerprint, payload, result.errors, now);
        rejectedCount++;
        continue;
      }
      const key = idempotencyKey(result.item.ncmessage_id, result.item.status, result.receivedAtMs);
      const seen = byKey.get(key);
      if (seen) {
        seen.repeats++;
        duplicates++;
        continue;
      }
      const row = Object.assign(new NetcoreWebhookEvent(), {
        id: timeOrderedId(started),
        idempotencyKey: key,
        ncmessageId: result.item.ncmessage_id,
        status: result.item.status,
        receivedAt: new Date(result.receivedAtMs),
        payload,
        leftOut: result.ignoredFields.length ? result.ignoredFields.join(',') : null,
        duplicates: 0,
        createdAt: now,
      } satisfies NetcoreWebhookEvent);
      byKey.set(key, { row, repeats: 0 });
    }

    // Claimed by this instance as they are inserted, so no other takes them, and handed to its worker (async) or
    // processed by this request (inline) without a claim to write. With too many waiting, stored for a claim.
    const pending = [...byKey.values()];
    const inline = this.options.processing === 'inline';
    const handOver = !inline && pending.length > 0 && this.worker.mayTake(pending.length);
    const claim = inline || handOver ? { claimedBy: this.worker.id, lockedUntil: new Date(started + this.options.recovery.leaseMs) } : undefined;
    const rejected = [...rejectedByFingerprint.values()];
    let stored: InboxWriteResult;
    try {
      stored = await this.inbox.write({ rows: pending, deadLetters: rejected, claim });
    } catch (error) {
      if (isDataError(error)) {
        // A value validation let through but the database refuses: a retry would fail forever, so it is a 400.
        this.logger.error(
          `Refused a batch of ${items.length} item(s) the database cannot store: ${truncateForLog(String((error as Error)?.message ?? error))} ` +
            `payload=${truncateForLog(JSON.stringify(items))}`,
        );
        this.metrics.requestRejected('unstorable_batch');
        throw new BadRequestException('The batch holds a value that cannot be stored; nothing was stored');
      }
      this.logger.error(
        `Could not store a batch of ${items.length} item(s); answering 503 so Netcore retries: ${truncateForLog(String((error as Error)?.message ?? error))}`,
      );
      this.metrics.requestRejected('storage_unavailable');
      throw new ServiceUnavailableException('Webhook storage is unavailable; retry later');
    }
    duplicates += pending.length - stored.length;

    for (const dead of rejected) {
      this.logger.warn(`Rejected item (stored as dead letter ${dead.id}): ${dead.errors} payload=${truncateForLog(dead.payload)}`);
    }
    for (const { event } of stored) {
      if (!event.leftOut) continue;
      const fields = event.leftOut.split(',');
      this.metrics.fieldsLeftOutOf(event.status, fields);
      this.logger.warn(
        `Accepted an item without its invalid ${fields.join(', ')} (a failure or delivery counts whatever else it carries; pricing left out cannot charge): payload=${truncateForLog(event.payload)}`,
      );
    }
    if (inline) await this.worker.processClaimed(stored);
    else if (handOver && stored.length) this.worker.take(stored);
    // Also for duplicates only: this request's upsert may have held rows that a claim skipped meanwhile.
    else if (pending.length) this.worker.wake();

    const result: NetcoreIngestResult = { accepted: stored.length, duplicates, rejected: rejectedCount };
    this.metrics.batchStored(items.length, result, Date.now() - started);
    // debug: a line per request is access-log volume; counts are in the metrics, refusals are warnings.
    this.logger.debug(
      `Batch of ${items.length}: accepted=${result.accepted} duplicates=${result.duplicates} rejected=${result.rejected} ms=${Date.now() - started}`,
    );
    return result;
  }

  private collectRejected(into: Map<string, NetcoreDeadLetter>, payload: string, errors: string[], now: Date): void {
    const fingerprint = createHash('sha256').update('validation\n').update(payload).digest('hex');
    const seen = into.get(fingerprint);
    if (seen) {
      seen.occurrences++;
      return;
    }
    into.set(
      fingerprint,
      Object.assign(new NetcoreDeadLetter(), {
        id: randomUUID(),
        fingerprint,
        reason: 'validation',
        errors: JSON.stringify(errors),
        payload,
        eventId: null,
        state: 'open',
        occurrences: 1,
        createdAt: now,
        resolvedAt: null,
        resolution: null,
      } satisfies NetcoreDeadLetter),
    );
  }
}
