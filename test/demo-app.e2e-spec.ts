import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { NetcoreInboxService } from '../src';
import { NETCORE_SAMPLE_PAYLOADS, buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { AppModule } from '../src/app.module';
import { createDemoApp, demoHttpAdapter } from '../src/demo/create-demo-app';
import { demoLogLevels } from '../src/demo/demo-log-levels';
import { ADAPTERS } from './support/test-app';
import { DATABASES, createTestDatabase, type TestDatabase } from './support/test-databases';
import { TEST_SECRET, postSigned } from './support/webhook-client';

const CASES = DATABASES.flatMap((kind) => ADAPTERS.map((adapter) => [kind, adapter] as const));

/** The demo host app (npm start) as main.ts builds it, configured through the environment like in production. */
describe.each(CASES)('demo app: metrics, health and OpenAPI docs (%s, %s)', (kind, adapter) => {
  let db: TestDatabase;
  let app: INestApplication;
  const saved = { ...process.env };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    process.env.NETCORE_WEBHOOK_SECRET = TEST_SECRET;
    if (db.options.type === 'postgres') process.env.DATABASE_URL = String(db.options.url);
    else process.env.DATABASE_PATH = String(db.options.database);
    app = await createDemoApp(AppModule, adapter, { logger: ['error'] });
    await app.init();
    if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.get(NetcoreInboxService).whenIdle();
    await app?.close();
    await db?.drop();
    process.env = saved;
  });

  it('creates its schema with the migrations and receives a signed webhook', async () => {
    await postSigned(app, NETCORE_SAMPLE_PAYLOADS.delivered).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
  });

  it('lets a batch over 100 kB (Nest\'s default JSON limit) through to the module', async () => {
    const items = Array.from({ length: 400 }, () => buildDeliveryStatus());
    const body = JSON.stringify(buildWebhookPayload(...items));
    expect(body.length).toBeGreaterThan(100 * 1024);
    await postSigned(app, body).expect(200, { accepted: 400, duplicates: 0, rejected: 0 });
  });

  it('serves Prometheus metrics on GET /metrics', async () => {
    const scrape = async () => {
      const res = await request(app.getHttpServer()).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
      const series = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(res.text)?.[1]);
      return { accepted: series('netcore_webhooks_events_accepted_total'), acks: series('netcore_webhooks_ack_latency_seconds_count') };
    };
    const before = await scrape();
    await postSigned(app, NETCORE_SAMPLE_PAYLOADS.read).expect(200);
    expect(await scrape()).toEqual({ accepted: before.accepted + 1, acks: before.acks + 1 });
  });

  it('exports every metric the Grafana dashboard in docs/grafana queries, so the dashboard cannot rot', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    const exported = new Map([...res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [name, type]));
    const dashboard = JSON.parse(readFileSync(join(__dirname, '../docs/grafana/netcore-webhooks.json'), 'utf8'));
    const panels = dashboard.panels.filter((p: { type: string }) => p.type !== 'row');
    const queried = panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.flatMap((t) => t.expr.match(/\bnetcore_webhooks_\w+/g) ?? []));
    expect(queried.length).toBeGreaterThan(15);
    for (const name of new Set<string>(queried)) {
      const histogram = /_(bucket|sum|count)$/.exec(name) ? name.replace(/_(bucket|sum|count)$/, '') : null;
      expect({ name, type: histogram ? exported.get(histogram) : exported.has(name) ? 'exported' : undefined }).toEqual({ name, type: histogram ? 'histogram' : 'exported' });
    }
    // Every panel says what it answers (docs/grafana.md repeats it).
    for (const panel of panels) expect(panel.description.length).toBeGreaterThan(40);
  });

  it('serves its health on GET /health', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { netcore_webhooks: { status: 'up', database: 'up', deadLetters: 0 } } });
  });

  it('serves OpenAPI docs at /docs describing the webhook route, its body and its answers', async () => {
    await request(app.getHttpServer()).get('/docs').expect(200).expect('content-type', /html/);
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
    const post = doc.paths['/webhooks/netcore'].post;
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DeliveryStatusEnvelopeDto' });
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '503']);
    expect(post.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/NetcoreIngestResultDto' });
    expect(post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'x-netcore-signature', in: 'header' })]));
    const { DeliveryStatusEnvelopeDto, DeliveryStatusDto, DeliveryStatusPricingDto } = doc.components.schemas;
    expect(DeliveryStatusEnvelopeDto.properties.delivery_status).toMatchObject({
      type: 'array',
      minItems: 1,
      items: { $ref: '#/components/schemas/DeliveryStatusDto' },
    });
    expect(DeliveryStatusDto.required.sort()).toEqual(['ncmessage_id', 'received_at', 'status']);
    expect(Object.keys(DeliveryStatusDto.properties)).toEqual(
      expect.arrayContaining(['phoneNumber', 'recipient', 'source', 'status_remark', 'x-apiheader', 'pricing']),
    );
    expect(DeliveryStatusPricingDto.required).toEqual(['billable']);
    // Without NETCORE_ADMIN_TOKEN the admin endpoints are not mapped, so not documented; the demo's own endpoints are not part of the API.
    expect(Object.keys(doc.paths)).toEqual(['/webhooks/netcore']);
  });
});

describe('demo app: HTTP_ADAPTER', () => {
  it('is express unless set, and fastify when asked', () => {
    expect(demoHttpAdapter({})).toBe('express');
    expect(demoHttpAdapter({ HTTP_ADAPTER: 'fastify' })).toBe('fastify');
  });

  it('refuses any other value by name', () => {
    expect(() => demoHttpAdapter({ HTTP_ADAPTER: 'koa' })).toThrow('HTTP_ADAPTER must be "express" or "fastify", got "koa"');
  });
});

describe('demo app: LOG_LEVEL', () => {
  it('prints log and more severe unless set, and adds the per-batch debug line at debug', () => {
    expect(demoLogLevels({})).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(demoLogLevels({ LOG_LEVEL: 'debug' })).toEqual(['fatal', 'error', 'warn', 'log', 'debug']);
    expect(demoLogLevels({ LOG_LEVEL: 'error' })).toEqual(['fatal', 'error']);
  });

  it('refuses any other value by name', () => {
    expect(() => demoLogLevels({ LOG_LEVEL: 'info' })).toThrow('LOG_LEVEL must be one of fatal, error, warn, log, debug, verbose, got "info"');
  });
});
