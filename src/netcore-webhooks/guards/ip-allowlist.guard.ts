import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, Logger } from '@nestjs/common';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreSecurityStats } from '../security/netcore-security-stats.service';
import { IpAllowlist } from '../verification/ip-allowlist';
import { describeSource, type WebhookRequest } from './webhook-request';

/**
 * With `allowedIps`, refuses other sources (403). The address is `request.ip`: the app's trust-proxy
 * setting, not this guard, decides whether X-Forwarded-For counts, so a spoofed header changes nothing
 * unless the host trusts the proxy that set it.
 */
@Injectable()
export class NetcoreIpAllowlistGuard implements CanActivate {
  protected readonly logger = new Logger('NetcoreWebhooks');
  private readonly allowlist: IpAllowlist | null;

  constructor(
    @Inject(NETCORE_WEBHOOKS_OPTIONS) options: ResolvedNetcoreWebhooksOptions,
    protected readonly stats: NetcoreSecurityStats,
  ) {
    this.allowlist = options.allowedIps ? new IpAllowlist(options.allowedIps) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.allowlist) return true;
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    if (this.allowlist.allows(request.ip)) return true;
    this.stats.record('ip_not_allowed');
    const forwarded = request.headers['x-forwarded-for'];
    const hint = forwarded ? ' (an X-Forwarded-For header was sent; it counts only if the app trusts this proxy: trust proxy)' : '';
    this.logger.warn(`Rejected webhook from ${describeSource(request)}: source address not in allowedIps${hint}`);
    throw new ForbiddenException('Source address not allowed');
  }
}
