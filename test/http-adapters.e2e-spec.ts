import { Logger } from '@nestjs/common';
import { NETCORE_SAMPLE_PAYLOADS, buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { ADAPTERS, startHostApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

const variants = ADAPTERS.flatMap((adapter) => DATABASES.map((db) => [adapter, db] as const));

/** What differs between Express and Fastify: how the raw body and the body limit are configured. The rest runs in webhook-receive. */
describe.each(variants)('HTTP platform %s (%s)', (adapter, kind) => {
  it('answers 500 with the fix, and logs it, when the app was created without rawBody: true', async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      errors.push(String(message));
    });
    const t = await startHostApp(kind, {}, { adapter, rawBody: false });
    try {
      const res = await postSigned(t.app, NETCORE_SAMPLE_PAYLOADS.read).expect(500);
      expect(res.body.message).toMatch(/rawBody: true/);
      expect(errors.join('\n')).toMatch(/NestFactory\.create\(AppModule, \{ rawBody: true \}\)/);
    } finally {
      spy.mockRestore();
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
