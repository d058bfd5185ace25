import { Injectable, Logger } from '@nestjs/common';
import { NetcoreBillingRelay } from '../billing/netcore-billing-relay';
import { NetcoreDatabase } from '../database/netcore-database';
import { NetcoreWorker } from '../dispatch/netcore-worker.service';
import type { WorkRow, WorkRows } from '../dispatch/work-rows';
import { validateDeliveryStatus } from '../dto/validate-delivery-status';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
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
    private readonly db: NetcoreDatabase,
    private readonly ingest: NetcoreIngestService,
    private readonly worker: NetcoreWorker,
    private readonly relay: NetcoreBillingRelay,
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
   * the inbox like a webhook (then processed as usual). Reason `processing` (an inbox row) or `billing` (an
   * outbox command): the dead row gets one more attempt, awaited; failing again puts it back to dead at once.
   */
  async replay(id: string): Promise<NetcoreReplayResult> {
    const letter = await this.show(id);
    if (!letter) return { id, outcome: 'not-found' };
    if (letter.state !== 'open') return { id, outcome: 'not-open' };
    if (letter.reason === 'validation') return this.replayValidation(letter);
    if (letter.reason === 'billing') {
      return this.replayRow(letter, this.relay.commands, 'sent', (command) => this.relay.send(this.worker.id, [command], () => undefined, true));
    }
    return this.replayRow(letter, this.worker.inbox, 'processed', (event) => this.worker.processClaimed([event], true));
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
      await this.db.write((m) => m.update(NetcoreDeadLetter, { id: letter.id, state: 'open' }, { errors: JSON.stringify(check.errors) }));
      return { id: letter.id, outcome: 'invalid', errors: check.errors };
    }
    const result = await this.ingest.ingest([raw]);
    const resolution = result.accepted ? 'replayed: stored in the inbox' : 'replayed: the event was already in the inbox';
    const closed = await this.resolve(letter.id, 'replayed', resolution);
    return { id: letter.id, outcome: closed ? 'replayed' : 'not-open' };
  }

  /** One more attempt for the dead row behind `letter`, awaited, then the letter closed if it went through. */
  private async replayRow<T extends WorkRow>(
    letter: NetcoreDeadLetter,
    rows: WorkRows<T>,
    done: string,
    attempt: (row: T) => Promise<unknown>,
  ): Promise<NetcoreReplayResult> {
    const rowId = letter.eventId!;
    const row = await rows.claimDead(this.worker.id, rowId, this.worker.leaseMs);
    if (row) await attempt(row);
    const after = await rows.outcome(rowId);
    if (!after.done) {
      if (!row) return { id: letter.id, outcome: 'not-open' };
      return { id: letter.id, outcome: 'failed', errors: after.lastError ? [after.lastError.split('\n')[0]] : [] };
    }
    const closed = await this.resolve(letter.id, 'replayed', row ? `replayed: ${done}` : `replayed: ${done} meanwhile`);
    if (closed) this.logger.log(`Dead letter ${letter.id} replayed: ${rowId} ${done}`);
    return { id: letter.id, outcome: closed ? 'replayed' : 'not-open' };
  }

  /** open -> replayed/discarded, once: a concurrent second caller changes nothing. */
  private async resolve(id: string, state: 'replayed' | 'discarded', resolution: string): Promise<boolean> {
    const updated = await this.db.write((m) => m.update(NetcoreDeadLetter, { id, state: 'open' }, { state, resolution, resolvedAt: new Date() }));
    return (updated.affected ?? 0) > 0;
  }

  private repository() {
    return this.db.dataSource.getRepository(NetcoreDeadLetter);
  }
}
