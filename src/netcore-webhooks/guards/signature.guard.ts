import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  Optional,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { NetcoreWebhooksMetrics } from '../metrics/netcore-webhooks-metrics.service';
import { WebhookVerificationError } from '../verification/webhook-verification.error';
import { NETCORE_WEBHOOK_VERIFIER } from '../verification/webhook-verifier.interface';
import type { WebhookVerifier } from '../verification/webhook-verifier.interface';

type WebhookRequest = RawBodyRequest<IncomingMessage> & { ip?: string };

export const RAW_BODY_MISSING_MESSAGE =
  'NetcoreWebhooksModule needs the raw request body to verify signatures: create the app with ' +
  'NestFactory.create(AppModule, { rawBody: true }) (in tests: moduleRef.createNestApplication({ rawBody: true })).';

/**
 * Proves that the request came from Netcore before anything in its body is trusted.
 * Each step is a protected method so a host can subclass one of them.
 */
@Injectable()
export class NetcoreSignatureGuard implements CanActivate {
  protected readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @Optional() @Inject(NETCORE_WEBHOOK_VERIFIER) protected readonly verifier: WebhookVerifier | null,
    @Optional() protected readonly metrics?: NetcoreWebhooksMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    this.assertJson(request);
    if (!this.verifier) return true;
    const rawBody = this.getRawBody(request);
    try {
      this.verifier.verify(rawBody, request.headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) this.throwUnauthorized(request, error);
      throw error;
    }
    return true;
  }

  protected assertJson(request: WebhookRequest): void {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      this.metrics?.requestRejected('content_type');
      this.logger.warn(`Rejected webhook from ${request.ip ?? 'unknown'}: content-type ${JSON.stringify(type.slice(0, 100))} is not JSON`);
      throw new UnsupportedMediaTypeException('Content-Type must be application/json');
    }
  }

  protected getRawBody(request: WebhookRequest): Buffer {
    if (!Buffer.isBuffer(request.rawBody)) {
      // A configuration fault of the host app, not of the sender: say how to fix it, loudly.
      this.logger.error(RAW_BODY_MISSING_MESSAGE);
      throw new InternalServerErrorException(RAW_BODY_MISSING_MESSAGE);
    }
    return request.rawBody;
  }

  protected throwUnauthorized(request: WebhookRequest, error: WebhookVerificationError): never {
    this.metrics?.signatureFailed();
    this.logger.warn(`Rejected webhook from ${request.ip ?? 'unknown'}: ${error.reason}`);
    throw new UnauthorizedException('Invalid webhook signature');
  }
}
