import { NETCORE_SAMPLE_PAYLOADS, buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { ADAPTERS, startHostApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

const variants = ADAPTERS.flatMap((adapter) => DATABASES.map((db) => [adapter, db] as const));

/** What differs between Express and Fastify: how the raw body and the body limit are configured. The rest runs in webhook-receive. */
describe.each(variants)('HTTP platform %s (%s)', (adapter, kind) => {
  it('answers a bare 500 when the app was created without rawBody: true, and logs the fix', async () => {
    const logger = new CapturingLogger();
    const t = await startHostApp(kind, {}, { adapter, rawBody: false, logger });
    try {
      const res = await postSigned(t.app, NETCORE_SAMPLE_PAYLOADS.read).expect(500);
      // The sender learns nothing about our configuration.
      expect(res.body).toEqual({ statusCode: 500, message: 'Internal Server Error' });
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ context: 'NetcoreWebhooks' });
      expect(errors[0].message).toMatch(/NestFactory\.create\(AppModule, \{ rawBody: true \}\)/);
    } finally {
      await t.close();
    }
  });

  it('applies the source-address guard: 403 outside allowedIps, 200 inside', async () => {
    const outside = await startHostApp(kind, { webhooks: { allowedIps: ['192.0.2.0/24'] } }, { adapter });
    try {
      await postSigned(outside.app, NETCORE_SAMPLE_PAYLOADS.sent).expect(403);
    } finally {
      await outside.close();
    }
    const inside = await startHostApp(kind, { webhooks: { allowedIps: ['127.0.0.0/8', '::1'] } }, { adapter });
    try {
      await postSigned(inside.app, NETCORE_SAMPLE_PAYLOADS.sent).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
    } finally {
      await inside.close();
    }
  });

  it("answers 413 to a body over the configured limit, and verifies a batch over Express's 100 kB default once the limit allows it", async () => {
    const batch = buildWebhookPayload(...Array.from({ length: 400 }, () => buildDeliveryStatus()));
    const size = Buffer.byteLength(JSON.stringify(batch));
    expect(size).toBeGreaterThan(100 * 1024); // over Express's default JSON limit

    const small = await startHostApp(kind, {}, { adapter, bodyLimit: 64 * 1024 });
    try {
      await postSigned(small.app, batch).expect(413);
    } finally {
      await small.close();
    }
    const large = await startHostApp(kind, {}, { adapter, bodyLimit: 2 * 1024 * 1024 });
    try {
      await postSigned(large.app, batch).expect(200, { accepted: 400, duplicates: 0, rejected: 0 });
    } finally {
      await large.close();
    }
  });
});
