import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  Optional,
  PayloadTooLargeException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { truncateForLog } from '../ingest/truncate-for-log';
import { NETCORE_WEBHOOKS_OPTIONS } from '../netcore-webhooks.constants';
import type { ResolvedNetcoreWebhooksOptions } from '../netcore-webhooks-options.interface';
import { NetcoreSecurityStats, type NetcoreRejectionReason } from '../security/netcore-security-stats.service';
import { WebhookVerificationError } from '../verification/webhook-verification.error';
import { NETCORE_WEBHOOK_VERIFIER } from '../verification/webhook-verifier.interface';
import type { WebhookVerifier } from '../verification/webhook-verifier.interface';
import { describeSource, type WebhookRequest } from './webhook-request';

export const RAW_BODY_MISSING_MESSAGE =
  'NetcoreWebhooksModule needs the raw request body to verify signatures: create the app with ' +
  'NestFactory.create(AppModule, { rawBody: true }) (in tests: moduleRef.createNestApplication({ rawBody: true })).';

const EMPTY = Buffer.alloc(0);
const LOGGED_BYTES = 300;
/** Only this media type: it is the one the platform's JSON parser reads (and the one Netcore sends). */
const JSON_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i;

/**
 * Proves that the request came from Netcore before anything in its body is trusted, with the verifier
 * of the configured scheme, and checks the raw body on the way (media type, size, UTF-8).
 * Each step is a protected method so a host can subclass one of them.
 */
@Injectable()
export class NetcoreSignatureGuard implements CanActivate {
  protected readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @Optional() @Inject(NETCORE_WEBHOOK_VERIFIER) protected readonly verifier: WebhookVerifier | null,
    @Inject(NETCORE_WEBHOOKS_OPTIONS) protected readonly options: ResolvedNetcoreWebhooksOptions,
    protected readonly stats: NetcoreSecurityStats,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    this.assertJson(request);
    const rawBody = this.getRawBody(request);
    this.assertWithinLimit(request, rawBody);
    if (this.verifier) this.verify(request, rawBody, this.verifier);
    this.assertUtf8(request, rawBody);
    return true;
  }

  protected assertJson(request: WebhookRequest): void {
    const type = request.headers['content-type'] ?? '';
    if (!JSON_CONTENT_TYPE.test(type)) {
      this.reject(request, 'unsupported_media_type', `content-type ${JSON.stringify(type.slice(0, 100))} is not application/json`);
      throw new UnsupportedMediaTypeException('Content-Type must be application/json');
    }
  }

  protected getRawBody(request: WebhookRequest): Buffer {
    if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
    // No body at all: the parser had nothing to read, so there is neither a parsed nor a raw body.
    if (request.body === undefined) return EMPTY;
    // A parsed body without its raw bytes: the host app did not enable rawBody. The fix goes to the log;
    // the sender learns nothing about our configuration.
    this.logger.error(RAW_BODY_MISSING_MESSAGE);
    throw new InternalServerErrorException();
  }

  protected assertWithinLimit(request: WebhookRequest, rawBody: Buffer): void {
    if (rawBody.length <= this.options.maxBodyBytes) return;
    this.reject(request, 'body_too_large', `body of ${rawBody.length} bytes exceeds maxBodyBytes (${this.options.maxBodyBytes})`, rawBody);
    throw new PayloadTooLargeException(`Request body exceeds ${this.options.maxBodyBytes} bytes`);
  }

  protected verify(request: WebhookRequest, rawBody: Buffer, verifier: WebhookVerifier): void {
    try {
      verifier.verify(rawBody, request.headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) this.throwUnauthorized(request, error, rawBody);
      throw error;
    }
  }

  /** The JSON parser replaces invalid UTF-8 with U+FFFD; such a body is refused rather than stored altered. */
  protected assertUtf8(request: WebhookRequest, rawBody: Buffer): void {
    if (isUtf8(rawBody)) return;
    this.reject(request, 'invalid_body', 'body is not valid UTF-8', rawBody);
    throw new BadRequestException('Request body is not valid UTF-8');
  }

  protected throwUnauthorized(request: WebhookRequest, error: WebhookVerificationError, rawBody?: Buffer): never {
    this.reject(request, `signature_${error.failure}`, error.reason, rawBody);
    throw new UnauthorizedException('Invalid webhook signature');
  }

  /** Counts the rejection and logs it with the payload truncated; headers (signatures, tokens) are never logged. */
  protected reject(request: WebhookRequest, reason: NetcoreRejectionReason, detail: string, rawBody?: Buffer): void {
    this.stats.record(reason);
    const payload = rawBody ? ` payload=${truncateForLog(rawBody.toString('utf8', 0, LOGGED_BYTES))}... (${rawBody.length} bytes)` : '';
    this.logger.warn(`Rejected webhook from ${describeSource(request)}: ${detail}${payload}`);
  }
}
