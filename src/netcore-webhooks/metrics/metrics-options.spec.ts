import { Registry, register } from 'prom-client';
import { resolveNetcoreWebhooksOptions } from '../netcore-webhooks-options.resolver';

const verification = { scheme: 'none' } as const;

describe('metrics options', () => {
  it("defaults to prom-client's default registry and the netcore_webhooks_ prefix", () => {
    expect(resolveNetcoreWebhooksOptions({ verification }).metrics).toEqual({ registry: register, prefix: 'netcore_webhooks_' });
  });

  it("keeps the host's registry and prefix", () => {
    const registry = new Registry();
    expect(resolveNetcoreWebhooksOptions({ verification, metrics: { registry, prefix: 'app_' } }).metrics).toEqual({
      registry,
      prefix: 'app_',
    });
  });

  it('refuses a registry that is not a prom-client Registry, naming the option', () => {
    expect(() => resolveNetcoreWebhooksOptions({ verification, metrics: { registry: {} as Registry } })).toThrow(
      /'metrics.registry' must be a prom-client Registry/,
    );
  });

  it('refuses a prefix Prometheus would not accept', () => {
    expect(() => resolveNetcoreWebhooksOptions({ verification, metrics: { prefix: 'netcore-webhooks ' } })).toThrow(/'metrics.prefix'/);
  });
});
