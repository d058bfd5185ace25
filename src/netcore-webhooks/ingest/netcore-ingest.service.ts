import { BadRequestException, Inject, Injectable, Logger, Optional, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, In, type EntityManager } from 'typeorm';
import { insertOnConflict } from '../database/insert-on-conflict';
import { isDataError } from '../database/is-data-error';
import { validateDeliveryStatus } from '../dto/validate-delivery-status';
import { InboxClaimStore } from '../dispatch/inbox-claim.store';
import { NetcoreEventDispatcher, type StoredEvent } from '../dispatch/netcore-event-dispatcher.service';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { idempotencyKey } from './idempotency-key';
import type { NetcoreIngestResult } from './netcore-ingest-result';
import { truncateForLog } from './truncate-for-log';

interface PendingRow {
  row: NetcoreWebhookEvent;
  raw: Record<string, unknown>;
  /** Repeats of the same key within this batch. */
  repeats: number;
}

const CHUNK = 500;

/** Validates each item on its own and stores the batch in one transaction, before anything is acknowledged. */
@Injectable()
export class NetcoreIngestService {
  private readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly dispatcher: NetcoreEventDispatcher,
    private readonly claims: InboxClaimStore,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    @Optional() private readonly metrics?: NetcoreWebhooksMetrics,
  ) {}

  async ingest(items: readonly unknown[]): Promise<NetcoreIngestResult> {
    const started = Date.now();
    const now = new Date(started);
    const byKey = new Map<string, PendingRow>();
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
        id: randomUUID(),
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
    }

    // Claimed as they are inserted: this request dispatches them, no other instance's sweep may meanwhile.
    const claim = this.claims.newClaim(started);
    for (const p of byKey.values()) Object.assign(p.row, claim);
    const pending = [...byKey.values()];
    const rejected = [...rejectedByFingerprint.values()];
    let stored: StoredEvent[];
    try {
      stored = await this.dataSource.transaction((manager) => this.store(manager, pending, rejected));
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
    const dispatched = this.dispatcher.schedule(stored);
    if (this.options.processing === 'inline') await dispatched;

    const result: NetcoreIngestResult = { accepted: stored.length, duplicates, rejected: rejectedCount };
    this.metrics?.batchStored(items.length, result, Date.now() - started);
    this.logger.log(
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

  /** Inserts new keys, counts the rest as duplicates; returns what this request stored first. */
  private async store(manager: EntityManager, pending: PendingRow[], rejected: NetcoreDeadLetter[]): Promise<StoredEvent[]> {
    const stored: StoredEvent[] = [];
    const inbox = manager.getRepository(NetcoreWebhookEvent);
    for (let i = 0; i < pending.length; i += CHUNK) {
      const chunk = pending.slice(i, i + CHUNK);
      for (const p of chunk) p.row.duplicates = p.repeats;
      await inbox
        .createQueryBuilder()
        .insert()
        .values(chunk.map((p) => p.row))
        .orIgnore()
        .updateEntity(false)
        .execute();
      // Our ids that are now in the table are the rows this request inserted; a key already present kept its old id.
      const inserted = new Set(
        (await inbox.find({ select: { id: true }, where: { id: In(chunk.map((p) => p.row.id)) } })).map((r) => r.id),
      );
      const increments = new Map<number, string[]>();
      for (const p of chunk) {
        if (inserted.has(p.row.id)) {
          stored.push({ id: p.row.id, status: p.row.status, raw: p.raw, claim: p.row.claimedBy! });
        } else {
          const keys = increments.get(p.repeats + 1) ?? [];
          keys.push(p.row.idempotencyKey);
          increments.set(p.repeats + 1, keys);
        }
      }
      for (const [by, keys] of increments) {
        await inbox
          .createQueryBuilder()
          .update()
          .set({ duplicates: () => `duplicates + ${by}` })
          .where({ idempotencyKey: In(keys) })
          .execute();
      }
    }
    if (rejected.length) {
      const table = manager.connection.getMetadata(NetcoreDeadLetter).tableName;
      for (let i = 0; i < rejected.length; i += CHUNK) {
        await insertOnConflict(
          manager,
          NetcoreDeadLetter,
          rejected.slice(i, i + CHUNK),
          `("fingerprint") DO UPDATE SET "occurrences" = "${table}"."occurrences" + EXCLUDED."occurrences"`,
        );
      }
    }
    return stored;
  }
}
