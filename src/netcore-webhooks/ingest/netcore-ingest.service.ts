import { BadRequestException, Inject, Injectable, Logger, Optional, ServiceUnavailableException } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { isDataError } from '../database/is-data-error';
import { ignoredFields, validateDeliveryStatus } from '../dto/validate-delivery-status';
import { InboxClaimStore } from '../dispatch/inbox-claim.store';
import { NetcoreEventDispatcher, type StoredEvent } from '../dispatch/netcore-event-dispatcher.service';
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

/** In `async` processing, how long stored events may wait for others to share their dispatch run. */
const ASYNC_LINGER_MS = 20;

/** Validates each item on its own and stores the batch (grouped with concurrent ones) before anything is acknowledged. */
@Injectable()
export class NetcoreIngestService {
  private readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    private readonly inbox: NetcoreInboxWriter,
    private readonly dispatcher: NetcoreEventDispatcher,
    private readonly claims: InboxClaimStore,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    @Optional() private readonly metrics?: NetcoreWebhooksMetrics,
  ) {}

  async ingest(items: readonly unknown[]): Promise<NetcoreIngestResult> {
    const started = Date.now();
    const now = new Date(started);
    const byKey = new Map<string, PendingInboxRow>();
    const rejectedByFingerprint = new Map<string, NetcoreDeadLetter>();
    let duplicates = 0;
    let rejectedCount = 0;
    const leftOut = new Map<unknown, { status: string; payload: string }>();

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
        state: 'pending',
        attempts: 0,
        duplicates: 0,
        lastError: null,
        nextAttemptAt: null,
        lockedUntil: null,
        claimedBy: null,
        createdAt: now,
        processedAt: null,
      } satisfies NetcoreWebhookEvent);
      byKey.set(key, { row, raw: raw as Record<string, unknown>, repeats: 0 });
      if (result.ignoredFields.length) leftOut.set(raw, { status: result.item.status, payload });
    }

    // Claimed as they are inserted: this request dispatches them, no other instance's sweep may meanwhile.
    // In async processing with the dispatch queue full, they are stored unclaimed instead, for the sweep.
    const pending = [...byKey.values()];
    const inline = this.options.processing === 'inline';
    const dispatchNow = pending.length > 0 && (inline || this.dispatcher.admit(pending.length));
    const claim = dispatchNow ? this.claims.newClaim(started) : null;
    if (claim) for (const p of pending) Object.assign(p.row, claim);
    const rejected = [...rejectedByFingerprint.values()];
    let stored: InboxWriteResult;
    try {
      stored = await this.inbox.write({ rows: pending, deadLetters: rejected });
    } catch (error) {
      if (isDataError(error)) {
        // A value validation let through but the database refuses: a retry would fail forever, so it is a 400.
        this.logger.error(
          `Refused a batch of ${items.length} item(s) the database cannot store: ${truncateForLog(String((error as Error)?.message ?? error))} ` +
            `payload=${truncateForLog(JSON.stringify(items))}`,
        );
        this.metrics?.requestRejected('unstorable_batch');
        throw new BadRequestException('The batch holds a value that cannot be stored; nothing was stored');
      }
      this.logger.error(
        `Could not store a batch of ${items.length} item(s); answering 503 so Netcore retries: ${truncateForLog(String((error as Error)?.message ?? error))}`,
      );
      this.metrics?.requestRejected('storage_unavailable');
      throw new ServiceUnavailableException('Webhook storage is unavailable; retry later');
    }
    duplicates += pending.length - stored.length;

    for (const dead of rejected) {
      this.logger.warn(`Rejected item (stored as dead letter ${dead.id}): ${dead.errors} payload=${truncateForLog(dead.payload)}`);
    }
    for (const { raw } of leftOut.size ? stored : []) {
      const item = leftOut.get(raw);
      if (!item) continue;
      const { status, payload } = item;
      // As the event will be built: from the stored JSON (a value such as 1e999 is stored as null).
      const fields = ignoredFields(JSON.parse(payload) as Record<string, unknown>);
      if (!fields.length) continue;
      this.metrics?.fieldsLeftOutOf(status, fields);
      this.logger.warn(
        `Accepted an item without its invalid ${fields.join(', ')} (a failure or delivery counts whatever else it carries; pricing left out cannot charge): payload=${truncateForLog(payload)}`,
      );
    }
    if (claim) {
      // Admitted before storing. inline: wait for this request's events; async: they may wait a little for
      // other requests' events to share their dispatch run.
      const claimed: StoredEvent[] = stored.map((row) => ({ ...row, claim: claim.claimedBy, leaseUntil: claim.lockedUntil.getTime() }));
      const dispatched = this.dispatcher.enqueue(claimed, { lingerMs: inline ? 0 : ASYNC_LINGER_MS });
      if (inline) await dispatched;
    }

    const result: NetcoreIngestResult = { accepted: stored.length, duplicates, rejected: rejectedCount };
    this.metrics?.batchStored(items.length, result, Date.now() - started);
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
