import { BadRequestException, Inject, Injectable, Logger, PipeTransform } from '@nestjs/common';
import { validateSync } from 'class-validator';
import { truncateForLog } from '../ingest/truncate-for-log';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreSecurityStats } from '../security/netcore-security-stats.service';
import { DeliveryStatusEnvelopeDto } from './delivery-status-envelope.dto';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-hazards';

/** Checks the envelope only (`delivery_status`: a non-empty array within `maxBatchSize`); items are checked one by one later. */
@Injectable()
export class DeliveryStatusEnvelopePipe implements PipeTransform<unknown, DeliveryStatusEnvelopeDto> {
  private readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @Inject(NETCORE_WEBHOOKS_OPTIONS) private readonly options: ResolvedNetcoreWebhooksOptions,
    private readonly stats: NetcoreSecurityStats,
  ) {}

  transform(body: unknown): DeliveryStatusEnvelopeDto {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.reject(body, ['body must be a JSON object with a delivery_status array']);
    }
    // Before anything walks the body recursively (validation, JSON.stringify for storage and logs).
    if (exceedsJsonDepth(body)) this.reject(undefined, [`body is nested deeper than ${MAX_JSON_DEPTH} levels`]);
    const envelope = new DeliveryStatusEnvelopeDto();
    const record = body as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(record, 'delivery_status')) envelope.delivery_status = record.delivery_status as unknown[];
    const errors = validateSync(envelope).flatMap((e) => Object.values(e.constraints ?? {}));
    if (errors.length) this.reject(body, errors);
    if (envelope.delivery_status.length > this.options.maxBatchSize) {
      this.reject(undefined, [
        `delivery_status has ${envelope.delivery_status.length} items; at most ${this.options.maxBatchSize} are accepted per request`,
      ]);
    }
    return envelope;
  }

  private reject(body: unknown, errors: string[]): never {
    this.stats.record('invalid_body');
    const shown = body === undefined ? '(not logged)' : truncateForLog(JSON.stringify(body) ?? String(body));
    this.logger.warn(`Rejected webhook: ${errors.join('; ')} payload=${shown}`);
    throw new BadRequestException(errors);
  }
}
