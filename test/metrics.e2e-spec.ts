import { Registry, register as defaultRegistry } from 'prom-client';
import request from 'supertest';
import { NetcoreInboxService, NetcoreWebhooksMetrics } from '../src';
import { buildDeliveryStatus, buildWebhookPayload, signNetcorePayload } from '../src/testing';
import { FailingListener } from './fixtures/failing.listener';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { WEBHOOK_PATH, postSigned } from './support/webhook-client';

type Series = { value: number; labels: Record<string, string | number>; metricName?: string };

/** Value of one series of a metric, read from the registry as Prometheus would scrape it. */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const values = (await metric.get()).values as Series[];
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && (v.metricName ?? name) === name);
  return match?.value ?? 0;
}

async function histogramCount(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const values = (await metric.get()).values as Series[];
  return values
    .filter((v) => v.metricName === `${name}_count` && Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((n, v) => n + v.value, 0);
}

describe.each(DATABASES)('Prometheus metrics (%s)', (kind) => {
  let t: TestApp;
  let registry: Registry;
  beforeAll(async () => {
    registry = new Registry();
    t = await startHostApp(kind, { webhooks: { metrics: { registry } }, providers: [FailingListener] });
  });
  afterAll(() => t?.close());

  it('counts received, accepted, duplicate and rejected events of stored batches, and times the acknowledgement', async () => {
    const good = buildDeliveryStatus({ status: 'delivered' });
    const bad = buildDeliveryStatus({ received_at: 'yesterday' });
    await postSigned(t.app, buildWebhookPayload(good, bad)).expect(200, { accepted: 1, duplicates: 0, rejected: 1 });
    await postSigned(t.app, buildWebhookPayload(good)).expect(200, { accepted: 0, duplicates: 1, rejected: 0 });
    await t.settle();

    expect(await value(registry, 'netcore_webhooks_events_received_total')).toBe(3);
    expect(await value(registry, 'netcore_webhooks_events_accepted_total')).toBe(1);
    expect(await value(registry, 'netcore_webhooks_events_duplicate_total')).toBe(1);
    expect(await value(registry, 'netcore_webhooks_events_rejected_total', { reason: 'validation' })).toBe(1);
    expect(await value(registry, 'netcore_webhooks_dead_letters_total', { reason: 'validation' })).toBe(1);
    expect(await histogramCount(registry, 'netcore_webhooks_ack_latency_seconds')).toBe(2);
    expect(await histogramCount(registry, 'netcore_webhooks_dispatch_latency_seconds', { outcome: 'processed' })).toBe(1);
  });

  it('counts the invalid fields left out of accepted failed, delivered and read events, by status and field', async () => {
    const read = { ...buildDeliveryStatus({ status: 'read' }), pricing: { billable: 'yes' }, status_remark: 42 };
    await postSigned(t.app, buildWebhookPayload(read as never)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
    await postSigned(t.app, buildWebhookPayload(read as never)).expect(200, { accepted: 0, duplicates: 1, rejected: 0 }); // not again
    await t.settle();
    expect(await value(registry, 'netcore_webhooks_fields_left_out_total', { status: 'read', field: 'pricing' })).toBe(1);
    expect(await value(registry, 'netcore_webhooks_fields_left_out_total', { status: 'read', field: 'status_remark' })).toBe(1);
  });

  it('counts requests refused as a whole by reason, and signature failures', async () => {
    const before = await value(registry, 'netcore_webhooks_events_received_total');
    const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
    const post = () => request(t.app.getHttpServer()).post(WEBHOOK_PATH);
    await post().set('content-type', 'application/json').set('x-netcore-signature', signNetcorePayload(body, 'wrong')).send(body).expect(401);
    await post().set('content-type', 'application/json').send(body).expect(401);
    await post().set('content-type', 'text/plain').send('hello').expect(415);
    await postSigned(t.app, { delivery_status: [] }).expect(400);

    expect(await value(registry, 'netcore_webhooks_signature_failures_total')).toBe(2);
    expect(await value(registry, 'netcore_webhooks_requests_rejected_total', { reason: 'signature_mismatch' })).toBe(1);
    expect(await value(registry, 'netcore_webhooks_requests_rejected_total', { reason: 'signature_missing' })).toBe(1);
    expect(await value(registry, 'netcore_webhooks_requests_rejected_total', { reason: 'unsupported_media_type' })).toBe(1);
    expect(await value(registry, 'netcore_webhooks_requests_rejected_total', { reason: 'invalid_body' })).toBe(1);
    expect(await value(registry, 'netcore_webhooks_events_received_total')).toBe(before);
  });

  it('counts listener failures by status and times failed dispatches', async () => {
    await postSigned(t.app, buildWebhookPayload(buildDeliveryStatus({ status: FailingListener.STATUS }))).expect(200);
    await t.settle();
    expect(await value(registry, 'netcore_webhooks_processing_failures_total', { status: FailingListener.STATUS })).toBe(1);
    expect(await histogramCount(registry, 'netcore_webhooks_dispatch_latency_seconds', { outcome: 'failed' })).toBe(1);
  });

  it('reports the backlog and the age of its oldest event as gauges, read from the inbox at scrape time', async () => {
    const backlog = await value(registry, 'netcore_webhooks_inbox_backlog');
    const stats = await t.app.get(NetcoreInboxService).stats();
    expect(backlog).toBe(stats.pending + stats.failed);
    const age = await value(registry, 'netcore_webhooks_inbox_oldest_unprocessed_age_seconds');
    expect(age > 0).toBe(stats.oldestUnprocessedAt !== null);
  });

  it('exposes everything in the Prometheus text format of the registry', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/^# TYPE netcore_webhooks_ack_latency_seconds histogram$/m);
    expect(text).toMatch(/^netcore_webhooks_events_accepted_total \d+$/m);
    expect(t.app.get(NetcoreWebhooksMetrics).registry).toBe(registry);
  });
});

describe('metrics registry', () => {
  it("uses prom-client's default registry when the host gives none, and two apps in one process share it", async () => {
    const [kind] = DATABASES;
    const first = await startHostApp(kind);
    const second = await startHostApp(kind);
    try {
      await postSigned(first.app, buildWebhookPayload(buildDeliveryStatus())).expect(200);
      await postSigned(second.app, buildWebhookPayload(buildDeliveryStatus())).expect(200);
      expect(first.app.get(NetcoreWebhooksMetrics).registry).toBe(defaultRegistry);
      expect(await value(defaultRegistry, 'netcore_webhooks_events_accepted_total')).toBeGreaterThanOrEqual(2);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('prefixes every metric name with metrics.prefix', async () => {
    const registry = new Registry();
    const t = await startHostApp(DATABASES[0], { webhooks: { metrics: { registry, prefix: 'hooks_' } } });
    try {
      await postSigned(t.app, buildWebhookPayload(buildDeliveryStatus())).expect(200);
      expect(await value(registry, 'hooks_events_accepted_total')).toBe(1);
      expect(registry.getSingleMetric('netcore_webhooks_events_accepted_total')).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
