import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { NetcoreDatabase } from '../database/netcore-database';
import { NetcoreWebhookEvent, UNPROCESSED_INBOX_ROWS } from '../entities/netcore-webhook-event.entity';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';

/**
 * The backlog as gauges, read from the database when Prometheus scrapes: how many events wait (every
 * instance's, the inbox is shared) and how long the oldest has waited. One query on the backlog's partial index.
 */
@Injectable()
export class NetcoreBacklogGauges {
  private reading?: { at: number; value: Promise<{ n: number; oldest: number | null }> };

  constructor(db: NetcoreDatabase, @Inject(NETCORE_WEBHOOKS_OPTIONS) options: ResolvedNetcoreWebhooksOptions) {
    const { registry, prefix } = options.metrics;
    const gauge = (name: string, help: string, read: (backlog: { n: number; oldest: number | null }) => number) => {
      // The latest app to start reports (a gauge bound to a closed app's database would answer nothing).
      registry.removeSingleMetric(`${prefix}${name}`);
      const self = this;
      return new Gauge({
        name: `${prefix}${name}`,
        help,
        registers: [registry],
        async collect() {
          const backlog = await self.read(db).catch(() => null);
          if (backlog) this.set(read(backlog));
        },
      });
    };
    gauge('inbox_backlog', 'Events stored and not processed yet (pending, or failed and waiting for a retry)', (b) => b.n);
    gauge('inbox_oldest_unprocessed_age_seconds', 'Age of the oldest event not processed yet; 0 without a backlog', (b) =>
      b.oldest === null ? 0 : Math.max(0, (Date.now() - b.oldest) / 1000),
    );
  }

  /** One query per scrape for both gauges. */
  private read(db: NetcoreDatabase): Promise<{ n: number; oldest: number | null }> {
    if (this.reading && Date.now() - this.reading.at < 1000) return this.reading.value;
    const value = db.dataSource
      .getRepository(NetcoreWebhookEvent)
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .addSelect('MIN("created_at")', 'oldest')
      .where(UNPROCESSED_INBOX_ROWS)
      .getRawOne<{ n: string | number; oldest: string | number | null }>()
      .then((row) => ({ n: Number(row?.n ?? 0), oldest: row?.oldest == null ? null : Number(row.oldest) }));
    this.reading = { at: Date.now(), value };
    return value;
  }
}
