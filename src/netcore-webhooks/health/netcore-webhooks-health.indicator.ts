import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreInboxWork, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-inbox-work.entity';

export interface NetcoreWebhooksHealthOptions {
  /**
   * Most inbox rows still waiting for their listeners (pending, or failed and due for a retry) before the
   * check reports `down`: a growing backlog means events are acknowledged but not processed.
   * @default 1000
   */
  maxBacklog?: number;
  /**
   * Most open dead letters before the check reports `down`. They are always reported.
   * @default Infinity (never down because of dead letters)
   */
  maxDeadLetters?: number;
  /**
   * How long the database may take to answer before it counts as unreachable.
   * @default 1000
   */
  timeoutMs?: number;
}

/** Details reported under the check's key, `up` or `down`. */
export interface NetcoreWebhooksHealthDetails {
  status: 'up' | 'down';
  database: 'up' | 'down';
  backlog?: number;
  maxBacklog?: number;
  deadLetters?: number;
  maxDeadLetters?: number;
  message?: string;
}

/** The shape of `@nestjs/terminus`'s `HealthIndicatorResult`, so the check plugs into `HealthCheckService.check()`. */
export type NetcoreWebhooksHealthResult<Key extends string = string> = Record<Key, NetcoreWebhooksHealthDetails>;


/**
 * A health indicator for `@nestjs/terminus` (no runtime dependency on it: terminus treats a result whose
 * status is `down` as unhealthy and answers 503).
 *
 *   check() { return this.health.check([() => this.netcore.isHealthy('netcore_webhooks', { maxBacklog: 5000 })]); }
 */
@Injectable()
export class NetcoreWebhooksHealthIndicator {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async isHealthy<Key extends string = 'netcore_webhooks'>(
    key: Key = 'netcore_webhooks' as Key,
    { maxBacklog = 1000, maxDeadLetters = Infinity, timeoutMs = 1000 }: NetcoreWebhooksHealthOptions = {},
  ): Promise<NetcoreWebhooksHealthResult<Key>> {
    const result = (details: NetcoreWebhooksHealthDetails) => ({ [key]: details }) as NetcoreWebhooksHealthResult<Key>;
    let backlog: number;
    let deadLetters: number;
    try {
      [backlog, deadLetters] = await withTimeout(
        Promise.all([
          this.dataSource.getRepository(NetcoreInboxWork).createQueryBuilder().where(UNPROCESSED_INBOX_ROWS).getCount(),
          this.dataSource.getRepository(NetcoreDeadLetter).countBy({ state: 'open' }),
        ]),
        timeoutMs,
      );
    } catch (error) {
      return result({ status: 'down', database: 'down', message: `database unreachable: ${(error as Error)?.message ?? error}`.slice(0, 300) });
    }
    const limits = { maxBacklog, ...(Number.isFinite(maxDeadLetters) ? { maxDeadLetters } : {}) };
    const problems = [
      backlog > maxBacklog ? `${backlog} events wait for processing (more than ${maxBacklog})` : null,
      deadLetters > maxDeadLetters ? `${deadLetters} open dead letters (more than ${maxDeadLetters})` : null,
    ].filter((p): p is string => p !== null);
    return result({
      status: problems.length ? 'down' : 'up',
      database: 'up',
      backlog,
      deadLetters,
      ...limits,
      ...(problems.length ? { message: problems.join('; ') } : {}),
    });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
