import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, Logger } from '@nestjs/common';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreSecurityStats } from '../security/netcore-security-stats.service';
import { describeSource, type WebhookRequest } from './webhook-request';

export const HTTPS_REQUIRED_MESSAGE = 'HTTPS is required: send webhooks to the https:// address of this endpoint';

/** With `requireHttps`, refuses plain HTTP (403). Behind a TLS proxy, the app's `trust proxy` makes X-Forwarded-Proto count. */
@Injectable()
export class NetcoreHttpsGuard implements CanActivate {
  protected readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @Inject(NETCORE_WEBHOOKS_OPTIONS) protected readonly options: ResolvedNetcoreWebhooksOptions,
    protected readonly stats: NetcoreSecurityStats,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.options.requireHttps) return true;
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    if (this.isSecure(request)) return true;
    this.stats.record('https_required');
    this.logger.warn(`Rejected webhook from ${describeSource(request)}: plain HTTP while requireHttps is set`);
    throw new ForbiddenException(HTTPS_REQUIRED_MESSAGE);
  }

  protected isSecure(request: WebhookRequest): boolean {
    return request.secure === true || request.protocol === 'https';
  }
}
