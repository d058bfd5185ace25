import { ConfigurableModuleBuilder } from '@nestjs/common';
import { DEFAULT_WEBHOOK_PATH } from './netcore-webhooks.constants';
import { createNetcoreDeadLettersController } from './dead-letters/netcore-dead-letters.controller';
import { createNetcoreWebhooksController } from './netcore-webhooks.controller';
import type { NetcoreWebhooksModuleExtras, NetcoreWebhooksOptions } from './netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from './netcore-webhooks-options.resolver';

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !/^\/?[A-Za-z0-9_\-./:]+$/.test(path)) {
    throw new NetcoreWebhooksConfigurationError(`'path' must be a route such as 'webhooks/netcore' (got ${JSON.stringify(path)}).`);
  }
  return path;
}

export const {
  ConfigurableModuleClass: NetcoreWebhooksConfigurableModule,
  MODULE_OPTIONS_TOKEN: NETCORE_WEBHOOKS_MODULE_OPTIONS,
  OPTIONS_TYPE: NETCORE_WEBHOOKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: NETCORE_WEBHOOKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<NetcoreWebhooksOptions>({ moduleName: 'NetcoreWebhooks' })
  .setClassMethodName('forRoot')
  .setExtras<NetcoreWebhooksModuleExtras>({ path: DEFAULT_WEBHOOK_PATH, isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: [
      ...(definition.controllers ?? []),
      createNetcoreWebhooksController(checkPath(extras.path ?? DEFAULT_WEBHOOK_PATH)),
      createNetcoreDeadLettersController(checkPath(extras.path ?? DEFAULT_WEBHOOK_PATH)),
    ],
  }))
  .build();

/** What `forRootAsync` accepts: `useFactory`/`useClass`/`useExisting` plus `path` and `isGlobal`. */
export type NetcoreWebhooksModuleAsyncOptions = typeof NETCORE_WEBHOOKS_ASYNC_OPTIONS_TYPE;
