import { Inject, Injectable, Logger } from '@nestjs/common';
import { NetcoreDatabase } from '../database/netcore-database';
import { WorkRows } from '../dispatch/work-rows';
import { NetcoreBillingCommand, UNSENT_COMMANDS } from '../entities/netcore-billing-command.entity';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreBillingSink } from './netcore-billing-sink.interface';

const DATE_FIELDS = new Set(['chargedAt', 'voidedAt', 'deliveredAt']);
const withDates = (key: string, value: unknown) => (DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value);

/**
 * Sends the billing outbox to a host's sink: due commands, at least once, in order per message (a command is
 * due only once every earlier command of its message was sent), with the inbox's backoff, retries and dead
 * letters. A sink outage delays billing only; it never fails an inbox event or runs a host listener again.
 */
@Injectable()
export class NetcoreBillingRelay {
  private readonly logger = new Logger('NetcoreWebhooks');
  readonly commands: WorkRows<NetcoreBillingCommand>;

  constructor(
    private readonly db: NetcoreDatabase,
    @Inject(NetcoreBillingSink) private readonly sink: NetcoreBillingSink,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    private readonly metrics: NetcoreWebhooksMetrics,
  ) {
    this.commands = new WorkRows(db, {
      entity: NetcoreBillingCommand,
      unfinished: UNSENT_COMMANDS,
      done: { state: 'sent', at: 'sentAt' },
      deadLetterReason: 'billing',
      payloadOf: (command) => command.payload,
      due: () =>
        `NOT EXISTS (SELECT 1 FROM ${db.table(NetcoreBillingCommand)} e WHERE e."ncmessage_id" = w."ncmessage_id" AND e."seq" < w."seq" AND e."state" <> 'sent')`,
    });
  }

  /** Claims and sends one batch of due commands as `worker`; answers how many it took. `onRetry` hears each retry's time. */
  async relayDue(worker: string, onRetry: (at: Date) => void): Promise<number> {
    const { batchSize, leaseMs } = this.options.recovery;
    const commands = await this.commands.claimDue(worker, batchSize, leaseMs);
    await this.send(worker, commands, onRetry);
    return commands.length;
  }

  /** Sends commands `worker` already holds; `lastAttempt`: a failure is dead at once (a replayed dead letter). */
  send(worker: string, commands: NetcoreBillingCommand[], onRetry: (at: Date) => void, lastAttempt = false): Promise<void> {
    return this.commands.working(commands, async () => {
      const sent: string[] = [];
      for (const command of commands) {
        try {
          // On SQLite the sink runs alone on the connection: its own writes there never mix with the module's.
          await this.db.alone(() => this.call(command));
          sent.push(command.id);
          this.metrics.billingCommand(command.kind, 'sent');
        } catch (error) {
          await this.failed(worker, command, error, lastAttempt, onRetry);
        }
      }
      await this.commands.complete(worker, sent);
    });
  }

  /** One sink call, given up after `recovery.leaseMs` (its key makes a late success harmless). */
  private async call(command: NetcoreBillingCommand): Promise<void> {
    const args = { idempotencyKey: command.id, ...(JSON.parse(command.payload, withDates) as object) } as never;
    const call = command.kind === 'charge' ? this.sink.charge(args) : command.kind === 'void' ? this.sink.void(args) : this.sink.restore(args);
    const { leaseMs } = this.options.recovery;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the billing sink did not answer within ${leaseMs} ms`)), leaseMs);
    });
    try {
      await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async failed(worker: string, command: NetcoreBillingCommand, error: unknown, lastAttempt: boolean, onRetry: (at: Date) => void): Promise<void> {
    const reason = (error as Error)?.message ?? String(error);
    const outcome = await this.commands.fail(worker, command.id, error, this.options.retry, lastAttempt);
    if (outcome.state === 'failed') {
      onRetry(outcome.nextAttemptAt);
      this.metrics.billingCommand(command.kind, 'failed');
      this.logger.warn(`Billing sink failed on ${command.id}, attempt ${outcome.attempts}; retry at ${outcome.nextAttemptAt.toISOString()}: ${reason}`);
    } else if (outcome.state === 'dead') {
      this.metrics.billingCommand(command.kind, 'dead');
      this.metrics.deadLettered('billing');
      this.logger.error(`Billing sink failed on ${command.id} on attempt ${outcome.attempts}; moved to the dead letters: ${reason}`);
    }
  }
}
