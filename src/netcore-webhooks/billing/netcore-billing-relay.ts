import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { NetcoreDatabase } from '../database/netcore-database';
import { WorkRows } from '../dispatch/work-rows';
import { NetcoreBillingCommand, UNSENT_COMMANDS } from '../entities/netcore-billing-command.entity';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreBillingSink } from './netcore-billing-sink.interface';

const parseDates = (_key: string, value: unknown) => (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) ? new Date(value) : value);

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
    db: NetcoreDatabase,
    @Inject(NetcoreBillingSink) private readonly sink: NetcoreBillingSink,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    @Optional() private readonly metrics?: NetcoreWebhooksMetrics,
  ) {
    this.commands = new WorkRows(db, {
      entity: NetcoreBillingCommand,
      unfinished: UNSENT_COMMANDS,
      done: { state: 'sent', at: 'sentAt' },
      deadLetterReason: 'billing',
      due: () =>
        `NOT EXISTS (SELECT 1 FROM ${db.table(NetcoreBillingCommand)} e WHERE e."ncmessage_id" = w."ncmessage_id" AND e."seq" < w."seq" AND e."state" <> 'sent')`,
    });
  }

  /**
   * Sends one batch of due commands as `worker` (or `claimed`, already held); answers how many it took.
   * `onRetry` hears when each failed command is due again.
   */
  async relay(worker: string, onRetry: (at: Date) => void, claimed?: NetcoreBillingCommand[], lastAttempt = false): Promise<number> {
    const { batchSize, leaseMs } = this.options.recovery;
    const commands = claimed ?? (await this.commands.claimDue(worker, batchSize, leaseMs));
    await this.commands.working(commands, () => this.send(worker, commands, onRetry, lastAttempt));
    return commands.length;
  }

  private async send(worker: string, commands: NetcoreBillingCommand[], onRetry: (at: Date) => void, lastAttempt: boolean): Promise<void> {
    const sent: string[] = [];
    for (const command of commands) {
      const call = { idempotencyKey: command.id, ...(JSON.parse(command.payload, parseDates) as { ncmessageId: string }) };
      try {
        if (command.kind === 'charge') await this.sink.charge(call as Parameters<NetcoreBillingSink['charge']>[0]);
        else if (command.kind === 'void') await this.sink.void(call as Parameters<NetcoreBillingSink['void']>[0]);
        else await this.sink.restore(call as Parameters<NetcoreBillingSink['restore']>[0]);
        sent.push(command.id);
        this.metrics?.billingCommand(command.kind, 'sent');
      } catch (error) {
        await this.failed(worker, command, error, lastAttempt, onRetry);
      }
    }
    await this.commands.complete(worker, sent);
  }

  private async failed(worker: string, command: NetcoreBillingCommand, error: unknown, lastAttempt: boolean, onRetry: (at: Date) => void): Promise<void> {
    const reason = (error as Error)?.message ?? String(error);
    const outcome = await this.commands.fail(worker, command.id, error, this.options.retry, lastAttempt);
    if (outcome.state === 'failed') {
      onRetry(outcome.nextAttemptAt);
      this.metrics?.billingCommand(command.kind, 'failed');
      this.logger.warn(`Billing sink failed on ${command.id}, attempt ${outcome.attempts}; retry at ${outcome.nextAttemptAt.toISOString()}: ${reason}`);
    } else if (outcome.state === 'dead') {
      this.metrics?.billingCommand(command.kind, 'dead');
      this.metrics?.deadLettered('billing');
      this.logger.error(`Billing sink failed on ${command.id} on attempt ${outcome.attempts}; moved to the dead letters: ${reason}`);
    }
  }
}
