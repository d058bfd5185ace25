import type { Provider, Type } from '@nestjs/common';
import type { NetcoreSinkOption } from './netcore-webhooks-options.interface';
import { NetcoreWebhooksConfigurationError } from './netcore-webhooks-options.resolver';

/**
 * The provider of a sink token: the host's (`useClass` / `useExisting` / `useFactory`) or the default.
 * Checked when the module is declared, so a misspelt option fails at start-up naming it.
 */
export function createSinkProvider<T>(
  token: symbol,
  option: NetcoreSinkOption<T> | undefined,
  fallback: Type<T>,
  optionName: string,
): Provider {
  if (option === undefined) return { provide: token, useClass: fallback };
  const kinds = ['useClass', 'useExisting', 'useFactory'].filter((k) => option && typeof option === 'object' && k in option);
  if (kinds.length !== 1) {
    throw new NetcoreWebhooksConfigurationError(
      `'${optionName}' must have exactly one of useClass, useExisting or useFactory (got ${kinds.length ? kinds.join(', ') : JSON.stringify(option)}).`,
    );
  }
  if ('useClass' in option) {
    if (typeof option.useClass !== 'function') throw new NetcoreWebhooksConfigurationError(`'${optionName}.useClass' must be a class.`);
    return { provide: token, useClass: option.useClass };
  }
  if ('useExisting' in option) {
    if (option.useExisting == null) throw new NetcoreWebhooksConfigurationError(`'${optionName}.useExisting' must be an injection token.`);
    return { provide: token, useExisting: option.useExisting };
  }
  if (typeof option.useFactory !== 'function') throw new NetcoreWebhooksConfigurationError(`'${optionName}.useFactory' must be a function.`);
  return { provide: token, useFactory: option.useFactory, inject: option.inject ?? [] };
}

/**
 * `sink` when it is exactly an instance of the module's own `Default` sink class, else null: the module may then
 * run that sink's statements inside its own transaction. A subclass may record differently, so it is not.
 */
export function asDefaultSink<T extends object>(sink: object, Default: Type<T>): T | null {
  return Object.getPrototypeOf(sink) === Default.prototype ? (sink as T) : null;
}
