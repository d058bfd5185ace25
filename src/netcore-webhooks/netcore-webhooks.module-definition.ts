import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { createNetcoreAnalyticsController } from './analytics/netcore-analytics.controller';
import { NetcoreAnalyticsSink } from './analytics/netcore-analytics-sink.interface';
import { TypeOrmAnalyticsSink } from './analytics/typeorm-analytics.sink';
import { NetcoreBillingSink } from './billing/netcore-billing-sink.interface';
import { TypeOrmBillingSink } from './billing/typeorm-billing.sink';
import { NetcoreBodyParserRejections, webhookRouteProvider } from './guards/body-parser-rejections';
import { DEFAULT_WEBHOOK_PATH, NETCORE_WEBHOOKS_OPTIONS } from './netcore-webhooks.constants';
import { createNetcoreDeadLettersController } from './dead-letters/netcore-dead-letters.controller';
import { createNetcoreWebhooksController } from './netcore-webhooks.controller';
import type { NetcoreWebhooksModuleExtras, NetcoreWebhooksOptions, ResolvedNetcoreWebhooksOptions } from './netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from './netcore-webhooks-options.resolver';
import { createSinkProvider } from './netcore-sink-provider';

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !/^\/?[A-Za-z0-9_\-./:]+$/.test(path)) {
    throw new NetcoreWebhooksConfigurationError(`'path' must be a route such as 'webhooks/netcore' (got ${JSON.stringify(path)}).`);
  }
  return path;
}

const ADMIN_ROUTES_CHECK = Symbol('NETCORE_WEBHOOKS_ADMIN_ROUTES_CHECK');

/**
 * Routes are fixed when the module is declared, but with forRootAsync the admin token arrives later: the
 * declaration (adminRoutes, or forRoot's admin) and the options must agree, or the app does not start.
 */
function adminRoutesCheck(declared: boolean): Provider {
  return {
    provide: ADMIN_ROUTES_CHECK,
    inject: [NETCORE_WEBHOOKS_OPTIONS],
    useFactory: (options: ResolvedNetcoreWebhooksOptions) => {
      if (declared && !options.admin) {
        throw new NetcoreWebhooksConfigurationError(
          "'adminRoutes: true' maps the admin endpoints, but the options have no 'admin: { token }'. Return admin from your options factory, or remove adminRoutes.",
        );
      }
      if (!declared && options.admin) {
        throw new NetcoreWebhooksConfigurationError(
          "'admin' is set, but the admin endpoints were not mapped: routes are fixed when the module is declared, so with forRootAsync add 'adminRoutes: true' next to useFactory.",
        );
      }
      return declared;
    },
  };
}

// Every extra needs a key here (even undefined): the builder strips only these keys from forRoot's options.
const EXTRAS_DEFAULTS: NetcoreWebhooksModuleExtras = {
  path: DEFAULT_WEBHOOK_PATH,
  isGlobal: false,
  adminRoutes: undefined,
  billingSink: undefined,
  analyticsSink: undefined,
};

export const {
  ConfigurableModuleClass: NetcoreWebhooksConfigurableModule,
  MODULE_OPTIONS_TOKEN: NETCORE_WEBHOOKS_MODULE_OPTIONS,
  OPTIONS_TYPE: NETCORE_WEBHOOKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: NETCORE_WEBHOOKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<NetcoreWebhooksOptions>({ moduleName: 'NetcoreWebhooks' })
  .setClassMethodName('forRoot')
  .setExtras<NetcoreWebhooksModuleExtras>(EXTRAS_DEFAULTS, (definition, extras) => {
    const path = checkPath(extras.path ?? DEFAULT_WEBHOOK_PATH);
    // forRoot passes all of its options here, so its `admin` is seen; forRootAsync says so with adminRoutes.
    const adminRoutes = extras.adminRoutes ?? (extras as { admin?: unknown }).admin !== undefined;
    return {
      ...definition,
      global: extras.isGlobal,
      imports: [...(definition.imports ?? []), ...(extras.billingSink?.imports ?? []), ...(extras.analyticsSink?.imports ?? [])],
      controllers: [
        ...(definition.controllers ?? []),
        createNetcoreWebhooksController(path),
        ...(adminRoutes ? [createNetcoreAnalyticsController(path), createNetcoreDeadLettersController(path)] : []),
      ],
      providers: [
        ...(definition.providers ?? []),
        adminRoutesCheck(adminRoutes),
        webhookRouteProvider(path),
        NetcoreBodyParserRejections,
        createSinkProvider(NetcoreBillingSink, extras.billingSink, TypeOrmBillingSink, 'billingSink'),
        createSinkProvider(NetcoreAnalyticsSink, extras.analyticsSink, TypeOrmAnalyticsSink, 'analyticsSink'),
      ],
    };
  })
  .build();

/** What `forRootAsync` accepts: `useFactory`/`useClass`/`useExisting` plus the declaration extras. */
export type NetcoreWebhooksModuleAsyncOptions = typeof NETCORE_WEBHOOKS_ASYNC_OPTIONS_TYPE;
