import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { validateDeliveryStatus } from '../dto/validate-delivery-status';
import { InboxClaimStore } from '../dispatch/inbox-claim.store';
import { NetcoreEventDispatcher } from '../dispatch/netcore-event-dispatcher.service';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import { NetcoreIngestService } from '../ingest/netcore-ingest.service';
import type {
  NetcoreDeadLetterPage,
  NetcoreDeadLetterQuery,
  NetcoreReplayResult,
} from './netcore-dead-letter.types';

const MAX_PAGE_SIZE = 500;

/** Inspect, replay and discard dead letters. Replays go through the same paths as a webhook. */
@Injectable()
export class NetcoreDeadLetterService {
  private readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingest: NetcoreIngestService,
    private readonly claims: InboxClaimStore,
    private readonly dispatcher: NetcoreEventDispatcher,
  ) {}

  /** Newest first. */
  async list({ reason, state, page = 1, pageSize = 50 }: NetcoreDeadLetterQuery = {}): Promise<NetcoreDeadLetterPage> {
    if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be a positive integer (got ${page})`);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE} (got ${pageSize})`);
    }
    const where = { ...(reason ? { reason } : {}), ...(state ? { state } : {}) };
    const [items, total] = await this.repository().findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items, total, page, pageSize };
  }

  show(id: string): Promise<NetcoreDeadLetter | null> {
    return this.repository().findOneBy({ id });
  }

  /**
   * Runs the item again. Reason `validation`: validated as a webhook item and, when valid now, stored in
   * the inbox like a webhook (then dispatched as usual). Reason `processing`: the dead inbox row gets one more
   * attempt, awaited; failing again puts it back to dead at once.
   */
  async replay(id: string): Promise<NetcoreReplayResult> {
    const letter = await this.show(id);
    if (!letter) return { id, outcome: 'not-found' };
    if (letter.state !== 'open') return { id, outcome: 'not-open' };
    return letter.reason === 'validation' ? this.replayValidation(letter) : this.replayProcessing(letter);
  }

  /** One after the other, in the order given. */
  async replayMany(ids: readonly string[]): Promise<NetcoreReplayResult[]> {
    const results: NetcoreReplayResult[] = [];
    for (const id of ids) results.push(await this.replay(id));
    return results;
  }

  /** Closes an open letter without replaying it; `reason` is kept as its resolution. Null when not open. */
  async discard(id: string, reason: string): Promise<NetcoreDeadLetter | null> {
    const closed = await this.resolve(id, 'discarded', `discarded: ${reason}`);
    return closed ? this.show(id) : null;
  }

  private async replayValidation(letter: NetcoreDeadLetter): Promise<NetcoreReplayResult> {
    const raw: unknown = JSON.parse(letter.payload);
    const check = validateDeliveryStatus(raw);
    if (!check.valid) {
      await this.repository().update({ id: letter.id, state: 'open' }, { errors: JSON.stringify(check.errors) });
      return { id: letter.id, outcome: 'invalid', errors: check.errors };
    }
    const result = await this.ingest.ingest([raw]);
    const resolution = result.accepted ? 'replayed: stored in the inbox' : 'replayed: the event was already in the inbox';
    const closed = await this.resolve(letter.id, 'replayed', resolution);
    return { id: letter.id, outcome: closed ? 'replayed' : 'not-open' };
  }

  private async replayProcessing(letter: NetcoreDeadLetter): Promise<NetcoreReplayResult> {
    const eventId = letter.eventId!;
    const event = await this.claims.claimDead(eventId);
    if (!event) {
      const row = await this.dataSource.getRepository(NetcoreWebhookEvent).findOneBy({ id: eventId });
      if (row?.state !== 'processed') return { id: letter.id, outcome: 'not-open' };
      const closed = await this.resolve(letter.id, 'replayed', 'replayed: the event had been processed meanwhile');
      return { id: letter.id, outcome: closed ? 'replayed' : 'not-open' };
    }
    await this.dispatcher.enqueue([event]);
    const row = await this.dataSource.getRepository(NetcoreWebhookEvent).findOneByOrFail({ id: eventId });
    if (row.state === 'processed') {
      const closed = await this.resolve(letter.id, 'replayed', 'replayed: processed');
      this.logger.log(`Dead letter ${letter.id} replayed: event ${eventId} processed`);
      return { id: letter.id, outcome: closed ? 'replayed' : 'not-open' };
    }
    return { id: letter.id, outcome: 'failed', errors: row.lastError ? [row.lastError.split('\n')[0]] : [] };
  }

  /** open -> replayed/discarded, once: a concurrent second caller changes nothing. */
  private async resolve(id: string, state: 'replayed' | 'discarded', resolution: string): Promise<boolean> {
    const updated = await this.repository().update({ id, state: 'open' }, { state, resolution, resolvedAt: new Date() });
    return (updated.affected ?? 0) > 0;
  }

  private repository() {
    return this.dataSource.getRepository(NetcoreDeadLetter);
  }
}
