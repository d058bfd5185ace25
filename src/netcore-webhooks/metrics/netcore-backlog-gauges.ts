import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { NetcoreInboxService } from '../dispatch/netcore-inbox.service';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';

type Backlog = Awaited<ReturnType<NetcoreInboxService['backlog']>>;

/**
 * The backlog as gauges, read from the database when Prometheus scrapes: how many events wait (every
 * instance's, the inbox is shared) and how long the oldest has waited. One query per scrape for both.
 */
@Injectable()
export class NetcoreBacklogGauges {
  private reading?: { at: number; value: Promise<Backlog> };

  constructor(inbox: NetcoreInboxService, @Inject(NETCORE_WEBHOOKS_OPTIONS) options: ResolvedNetcoreWebhooksOptions) {
    const { registry, prefix } = options.metrics;
    const read = () => {
      if (!this.reading || Date.now() - this.reading.at >= 1000) this.reading = { at: Date.now(), value: inbox.backlog() };
      return this.reading.value;
    };
    const gauge = (name: string, help: string, value: (backlog: Backlog) => number) => {
      // The latest app to start reports (a gauge bound to a closed app's database would answer nothing).
      registry.removeSingleMetric(`${prefix}${name}`);
      return new Gauge({
        name: `${prefix}${name}`,
        help,
        registers: [registry],
        async collect() {
          const backlog = await read().catch(() => null);
          if (backlog) this.set(value(backlog));
        },
      });
    };
    gauge('inbox_backlog', 'Events stored and not processed yet (pending, or failed and waiting for a retry)', (b) => b.count);
    gauge('inbox_oldest_unprocessed_age_seconds', 'Age of the oldest event not processed yet; 0 without a backlog', (b) =>
      b.oldest === null ? 0 : Math.max(0, (Date.now() - b.oldest.getTime()) / 1000),
    );
  }
}
