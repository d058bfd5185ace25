import { BadRequestException, HttpException, Inject, Injectable, Logger, OnModuleInit, Optional, PayloadTooLargeException, Provider } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { truncateForLog } from '../ingest/truncate-for-log';
import { NetcoreSecurityStats, type NetcoreRejectionReason } from '../security/netcore-security-stats.service';
import { describeSource, type WebhookRequest } from './webhook-request';

const LOGGED_CHARS = 300;
/** The webhook route, as declared (`path`); the app's global prefix is added at start-up. */
export const NETCORE_WEBHOOK_ROUTE = Symbol('NETCORE_WEBHOOK_ROUTE');

export function webhookRouteProvider(path: string): Provider {
  return { provide: NETCORE_WEBHOOK_ROUTE, useValue: path };
}

const onRoute = (url: string | undefined, route: string) => (url ?? '').split('?')[0].replace(/\/+$/, '') === route;

interface ParserError {
  status?: number;
  statusCode?: number;
  message?: string;
  /** Express's body-parser keeps the text it could not parse. */
  body?: unknown;
  type?: string;
  code?: string;
}

type Next = (error?: unknown) => void;
interface ExpressLike {
  use(path: string, handler: (error: ParserError, req: WebhookRequest & { originalUrl?: string }, res: unknown, next: Next) => void): void;
}
interface FastifyLike {
  addHook(name: 'onError', hook: (req: WebhookRequest & { url: string }, reply: unknown, error: ParserError, done: () => void) => void): void;
}

/**
 * The app's body parser refuses a body before any guard of ours runs: larger than its limit (413) or not
 * JSON (400). Those refusals on the webhook route get the same one warning line and counter as the guards'
 * own, and on Express they are answered as HTTP exceptions, so Nest does not log them as errors with a stack.
 */
@Injectable()
export class NetcoreBodyParserRejections implements OnModuleInit {
  protected readonly logger = new Logger('NetcoreWebhooks');

  constructor(
    @Inject(NETCORE_WEBHOOK_ROUTE) private readonly path: string,
    private readonly stats: NetcoreSecurityStats,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() private readonly config?: ApplicationConfig,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return; // an application context without HTTP
    const route = this.route();
    if (adapter.getType() === 'express') {
      // Registered before Nest's own error handler (added after the modules' init), so it sees parser errors first.
      (adapter.getInstance() as ExpressLike).use(route, (error, req, _res, next) =>
        next((onRoute(req.originalUrl, route) && this.refuse(req, error)) || error),
      );
    } else if (adapter.getType() === 'fastify') {
      (adapter.getInstance() as FastifyLike).addHook('onError', (req, _reply, error, done) => {
        if (onRoute(req.url, route)) this.refuse(req, error);
        done();
      });
    }
  }

  /** Logs and counts a parser's refusal; the HTTP exception to answer with instead, or undefined when it is not one. */
  protected refuse(request: WebhookRequest, error: ParserError): HttpException | undefined {
    const status = error?.status ?? error?.statusCode;
    if (status === 413) {
      this.reject(request, 'body_too_large', `body exceeds the app's body parser limit (${error.message ?? 'too large'})`);
      return new PayloadTooLargeException(error.message ?? 'Request body is too large');
    }
    if (status === 400 && (error instanceof SyntaxError || /json/i.test(`${error.type ?? ''} ${error.code ?? ''} ${error.message ?? ''}`))) {
      const text = typeof error.body === 'string' ? ` payload=${truncateForLog(error.body.slice(0, LOGGED_CHARS))}` : '';
      this.reject(request, 'invalid_body', `body is not valid JSON (${truncateForLog(error.message ?? '', 200)})${text}`);
      return new BadRequestException(error.message ?? 'Request body is not valid JSON');
    }
    return undefined;
  }

  private reject(request: WebhookRequest, reason: NetcoreRejectionReason, detail: string): void {
    this.stats.record(reason);
    this.logger.warn(`Rejected webhook from ${describeSource(request)}: ${detail}`);
  }

  private route(): string {
    const prefix = this.config?.getGlobalPrefix() ?? '';
    return `/${[prefix, this.path].map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  }
}
