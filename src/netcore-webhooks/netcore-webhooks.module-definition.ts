import { ConfigurableModuleBuilder } from '@nestjs/common';
import { createNetcoreAnalyticsController } from './analytics/netcore-analytics.controller';
import { NetcoreAnalyticsSink } from './analytics/netcore-analytics-sink.interface';
import { TypeOrmAnalyticsSink } from './analytics/typeorm-analytics.sink';
import { NetcoreBillingSink } from './billing/netcore-billing-sink.interface';
import { TypeOrmBillingSink } from './billing/typeorm-billing.sink';
import { DEFAULT_WEBHOOK_PATH } from './netcore-webhooks.constants';
import { createNetcoreWebhooksController } from './netcore-webhooks.controller';
import type { NetcoreWebhooksModuleExtras, NetcoreWebhooksOptions } from './netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from './netcore-webhooks-options.resolver';
import { createSinkProvider } from './netcore-sink-provider';

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !/^\/?[A-Za-z0-9_\-./:]+$/.test(path)) {
    throw new NetcoreWebhooksConfigurationError(`'path' must be a route such as 'webhooks/netcore' (got ${JSON.stringify(path)}).`);
  }
  return path;
}

// Every extra needs a key here (even undefined): the builder strips only these keys from forRoot's options.
const EXTRAS_DEFAULTS: NetcoreWebhooksModuleExtras = {
  path: DEFAULT_WEBHOOK_PATH,
  isGlobal: false,
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
    return {
      ...definition,
      global: extras.isGlobal,
      imports: [...(definition.imports ?? []), ...(extras.billingSink?.imports ?? []), ...(extras.analyticsSink?.imports ?? [])],
      controllers: [...(definition.controllers ?? []), createNetcoreWebhooksController(path), createNetcoreAnalyticsController(path)],
      providers: [
        ...(definition.providers ?? []),
        createSinkProvider(NetcoreBillingSink, extras.billingSink, TypeOrmBillingSink, 'billingSink'),
        createSinkProvider(NetcoreAnalyticsSink, extras.analyticsSink, TypeOrmAnalyticsSink, 'analyticsSink'),
      ],
    };
  })
  .build();

/** What `forRootAsync` accepts: `useFactory`/`useClass`/`useExisting` plus the declaration extras. */
export type NetcoreWebhooksModuleAsyncOptions = typeof NETCORE_WEBHOOKS_ASYNC_OPTIONS_TYPE;
