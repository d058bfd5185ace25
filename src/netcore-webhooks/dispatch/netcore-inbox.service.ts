import { Injectable } from '@nestjs/common';
import { Not, type SelectQueryBuilder } from 'typeorm';
import { NetcoreDatabase } from '../database/netcore-database';
import { NetcoreBillingCommand } from '../entities/netcore-billing-command.entity';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreInboxWork, type NetcoreInboxWorkState, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-inbox-work.entity';
import { NetcoreWebhookEvent } from '../entities/netcore-webhook-event.entity';
import type { NetcoreInboxStats } from './netcore-inbox-stats';
import { NetcoreWorker } from './netcore-worker.service';

/** The inbox as a host sees it: what is waiting, failing, dead (shared by every instance), and this instance's work. */
@Injectable()
export class NetcoreInboxService {
  constructor(
    private readonly db: NetcoreDatabase,
    private readonly worker: NetcoreWorker,
  ) {}

  /**
   * Resolves once this instance has processed what it has taken on: every event acknowledged so far, unless it
   * waits for a retry. For tests: `await app.get(NetcoreInboxService).whenIdle()` after posting a webhook.
   */
  whenIdle(): Promise<void> {
    return this.worker.whenIdle();
  }

  async stats(): Promise<NetcoreInboxStats> {
    const inState = (state: NetcoreInboxWorkState) => (sub: SelectQueryBuilder<NetcoreInboxWork>) =>
      sub.select('COUNT(*)').from(NetcoreInboxWork, 'w').where(`w.state = '${state}'`);
    const [counts, letters, backlog, unsent] = await Promise.all([
      // One statement, one snapshot: an event processed meanwhile is counted once, as pending or as processed.
      this.db.dataSource
        .createQueryBuilder()
        .from(NetcoreWebhookEvent, 'e')
        .select('COUNT(*)', 'events')
        .addSelect(inState('pending'), 'pending')
        .addSelect(inState('failed'), 'failed')
        .addSelect(inState('dead'), 'dead')
        .getRawOne<Record<'events' | NetcoreInboxWorkState, string | number>>(),
      this.db.dataSource
        .getRepository(NetcoreDeadLetter)
        .createQueryBuilder('d')
        .select('d.reason', 'reason')
        .addSelect('COUNT(*)', 'count')
        .where("d.state = 'open'")
        .groupBy('d.reason')
        .getRawMany<{ reason: string; count: string | number }>(),
      this.backlog(),
      this.db.dataSource.getRepository(NetcoreBillingCommand).countBy({ state: Not('sent') }),
    ]);
    const [pending, failed, dead] = [counts?.pending, counts?.failed, counts?.dead].map(Number);
    const byReason = new Map(letters.map((r) => [r.reason, Number(r.count)]));
    const validation = byReason.get('validation') ?? 0;
    const processing = byReason.get('processing') ?? 0;
    const billing = byReason.get('billing') ?? 0;
    return {
      pending,
      failed,
      dead,
      processed: Number(counts?.events) - pending - failed - dead,
      openDeadLetters: { validation, processing, billing, total: validation + processing + billing },
      unsentBillingCommands: unsent,
      oldestUnprocessedAt: backlog.oldest,
    };
  }

  /** Events not processed yet (pending or failed) and the oldest one's arrival, from the backlog's partial index. */
  async backlog(): Promise<{ count: number; oldest: Date | null }> {
    const row = await this.db.dataSource
      .getRepository(NetcoreInboxWork)
      .createQueryBuilder()
      .select('COUNT(*)', 'count')
      .addSelect('MIN("created_at")', 'oldest')
      .where(UNPROCESSED_INBOX_ROWS)
      .getRawOne<{ count: string | number; oldest: string | number | null }>();
    return { count: Number(row?.count ?? 0), oldest: row?.oldest == null ? null : new Date(Number(row.oldest)) };
  }
}
