import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreWebhookEvent, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-webhook-event.entity';
import type { NetcoreInboxStats } from './netcore-inbox-stats';

/** Read-only view of the inbox's health: what is waiting, failing, dead. Shared by every instance. */
@Injectable()
export class NetcoreInboxService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stats(): Promise<NetcoreInboxStats> {
    const [states, letters, oldest] = await Promise.all([
      this.dataSource
        .getRepository(NetcoreWebhookEvent)
        .createQueryBuilder('e')
        .select('e.state', 'state')
        .addSelect('COUNT(*)', 'count')
        .groupBy('e.state')
        .getRawMany<{ state: string; count: string | number }>(),
      this.dataSource
        .getRepository(NetcoreDeadLetter)
        .createQueryBuilder('d')
        .select('d.reason', 'reason')
        .addSelect('COUNT(*)', 'count')
        .where("d.state = 'open'")
        .groupBy('d.reason')
        .getRawMany<{ reason: string; count: string | number }>(),
      this.dataSource
        .getRepository(NetcoreWebhookEvent)
        .createQueryBuilder()
        .select('MIN("created_at")', 'oldest')
        .where(UNPROCESSED_INBOX_ROWS)
        .getRawOne<{ oldest: string | number | null }>(),
    ]);
    const byState = new Map(states.map((r) => [r.state, Number(r.count)]));
    const byReason = new Map(letters.map((r) => [r.reason, Number(r.count)]));
    const validation = byReason.get('validation') ?? 0;
    const processing = byReason.get('processing') ?? 0;
    return {
      pending: byState.get('pending') ?? 0,
      failed: byState.get('failed') ?? 0,
      dead: byState.get('dead') ?? 0,
      processed: byState.get('processed') ?? 0,
      openDeadLetters: { validation, processing, total: validation + processing },
      oldestUnprocessedAt: oldest?.oldest == null ? null : new Date(Number(oldest.oldest)),
    };
  }
}
