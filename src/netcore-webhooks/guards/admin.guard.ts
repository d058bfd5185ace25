import { CanActivate, ExecutionContext, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Guards the module's admin endpoints with `Authorization: Bearer <admin.token>`. Without `admin` the
 * endpoints are not mapped at all; the 404 here only backs that up.
 */
@Injectable()
export class NetcoreAdminGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(NETCORE_WEBHOOKS_OPTIONS) options: ResolvedNetcoreWebhooksOptions) {
    this.expected = options.admin ? digest(options.admin.token) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new NotFoundException();
    const header = context.switchToHttp().getRequest<IncomingMessage>().headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    // Comparing digests keeps the comparison constant-time whatever the length of the presented token.
    if (!match || !timingSafeEqual(digest(match[1]), this.expected)) throw new UnauthorizedException();
    return true;
  }
}
