import { Injectable } from '@nestjs/common';
import { Not } from 'typeorm';
import { NetcoreDatabase } from '../database/netcore-database';
import { NetcoreBillingCommand } from '../entities/netcore-billing-command.entity';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreWebhookEvent, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-webhook-event.entity';
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
    const [states, letters, backlog, unsent] = await Promise.all([
      this.db.dataSource
        .getRepository(NetcoreWebhookEvent)
        .createQueryBuilder('e')
        .select('e.state', 'state')
        .addSelect('COUNT(*)', 'count')
        .groupBy('e.state')
        .getRawMany<{ state: string; count: string | number }>(),
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
    const byState = new Map(states.map((r) => [r.state, Number(r.count)]));
    const byReason = new Map(letters.map((r) => [r.reason, Number(r.count)]));
    const validation = byReason.get('validation') ?? 0;
    const processing = byReason.get('processing') ?? 0;
    const billing = byReason.get('billing') ?? 0;
    return {
      pending: byState.get('pending') ?? 0,
      failed: byState.get('failed') ?? 0,
      dead: byState.get('dead') ?? 0,
      processed: byState.get('processed') ?? 0,
      openDeadLetters: { validation, processing, billing, total: validation + processing + billing },
      unsentBillingCommands: unsent,
      oldestUnprocessedAt: backlog.oldest,
    };
  }

  /** Events not processed yet (pending or failed) and the oldest one's arrival, from the backlog's partial index. */
  async backlog(): Promise<{ count: number; oldest: Date | null }> {
    const row = await this.db.dataSource
      .getRepository(NetcoreWebhookEvent)
      .createQueryBuilder()
      .select('COUNT(*)', 'count')
      .addSelect('MIN("created_at")', 'oldest')
      .where(UNPROCESSED_INBOX_ROWS)
      .getRawOne<{ count: string | number; oldest: string | number | null }>();
    return { count: Number(row?.count ?? 0), oldest: row?.oldest == null ? null : new Date(Number(row.oldest)) };
  }
}
