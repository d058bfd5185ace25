import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import request from 'supertest';
import { NetcoreSecurityStats } from '../src';
import { buildDeliveryStatus, buildWebhookPayload, signNetcorePayload } from '../src/testing';
import { Test } from '@nestjs/testing';
import { HostAppModule } from './fixtures/host-app.module';
import { ADAPTERS, startHostApp, type TestApp } from './support/test-app';
import { DATABASES, createTestDatabase } from './support/test-databases';
import { TEST_SECRET, WEBHOOK_PATH } from './support/webhook-client';

/** Listens on all interfaces (dual stack) and returns a POST to the webhook over the given loopback host. */
async function listen(t: TestApp): Promise<(host: '127.0.0.1' | '[::1]') => request.Test> {
  await t.app.listen(0, '::');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
  return (host) =>
    request(`http://${host}:${port}`)
      .post(WEBHOOK_PATH)
      .set('content-type', 'application/json')
      .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET))
      .send(body);
}

describe.each(DATABASES)('source restrictions (%s)', (kind) => {
  it.each([
    [['203.0.113.0/24', '10.0.0.0/33'], /'allowedIps\[1\]' has a prefix length above 32 \(got "10.0.0.0\/33"\); use an address or CIDR range/],
    [['netcore.example'], /'allowedIps\[0\]' is not an IP address or CIDR range/],
  ])('refuses to start with allowedIps %j, naming the entry and the fix', async (allowedIps, message) => {
    const db = await createTestDatabase(kind);
    try {
      const boot = async () => {
        const moduleRef = await Test.createTestingModule({
          // manualInitialization: the refused app must not leave a connection attempt running behind it.
          imports: [HostAppModule.register({ database: { ...db.options, manualInitialization: true }, webhooks: { allowedIps } })],
        }).compile();
        await moduleRef.close();
      };
      await expect(boot()).rejects.toThrow(message);
    } finally {
      await db.drop();
    }
  });

  describe('allowedIps over real sockets', () => {
    it('matches an IPv4 range against an IPv4 client seen by a dual-stack server as ::ffff:127.0.0.1', async () => {
      const t = await startHostApp(kind, { webhooks: { allowedIps: ['127.0.0.0/8'] } });
      try {
        const post = await listen(t);
        await post('127.0.0.1').expect(200);
        await post('[::1]').expect(403);
      } finally {
        await t.close();
      }
    });

    it('matches an IPv6 entry against an IPv6 client and refuses IPv4 clients', async () => {
      const t = await startHostApp(kind, { webhooks: { allowedIps: ['::1/128'] } });
      try {
        const post = await listen(t);
        await post('[::1]').expect(200);
        await post('127.0.0.1').expect(403);
        expect(t.app.get(NetcoreSecurityStats).count('ip_not_allowed')).toBe(1);
      } finally {
        await t.close();
      }
    });
  });

  describe('allowedIps behind a proxy the app trusts (X-Forwarded-For)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startHostApp(
        kind,
        { webhooks: { allowedIps: ['203.0.113.0/24', '198.51.100.7', '2001:db8::/32', '::1'] } },
        { prepare: (app) => app.set('trust proxy', 'loopback') },
      );
    });
    afterAll(() => t?.close());

    it.each([
      ['an IPv4 address inside a range', '203.0.113.200', 200],
      ['a single IPv4 address', '198.51.100.7', 200],
      ['an IPv6 address inside a range', '2001:db8:abcd::1', 200],
      ['an IPv4-mapped IPv6 address of an allowed IPv4 address', '::ffff:203.0.113.9', 200],
      ['an IPv4 address outside every range', '203.0.114.1', 403],
      ['an IPv6 address outside every range', '2001:db9::1', 403],
      ['an IPv4-mapped address outside every range', '::ffff:10.0.0.1', 403],
      ['something that is not an address', 'localhost', 403],
    ])('answers %s (%s) with %d', async (_label, ip, status) => {
      const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
      await request(t.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set('x-forwarded-for', ip)
        .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET))
        .send(body)
        .expect(status);
    });
  });

  describe('requireHttps', () => {
    let plain: TestApp;
    let proxied: TestApp;
    beforeAll(async () => {
      plain = await startHostApp(kind, { webhooks: { requireHttps: true } });
      proxied = await startHostApp(kind, { webhooks: { requireHttps: true } }, { prepare: (app) => app.set('trust proxy', 'loopback') });
    });
    afterAll(async () => {
      await plain?.close();
      await proxied?.close();
    });
    const post = (t: TestApp, proto?: string) => {
      const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
      const req = request(t.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET));
      if (proto) req.set('x-forwarded-proto', proto);
      return req.send(body);
    };

    it('answers 403 saying HTTPS is required to a plain-HTTP request, and counts it', async () => {
      const res = await post(plain).expect(403);
      expect(res.body.message).toMatch(/HTTPS is required/);
      expect(plain.app.get(NetcoreSecurityStats).count('https_required')).toBe(1);
    });

    it('ignores a spoofed X-Forwarded-Proto: https when the app does not trust the proxy', async () => {
      await post(plain, 'https').expect(403);
    });

    it('accepts X-Forwarded-Proto: https from a proxy the app trusts (TLS terminated in front)', async () => {
      await post(proxied, 'https').expect(200);
      await post(proxied, 'http').expect(403);
    });

    it.each(ADAPTERS)('accepts a webhook the app itself received over TLS, with no proxy in front (%s)', async (adapter) => {
      const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
        keySize: 2048,
        extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
      });
      const t = await startHostApp(kind, { webhooks: { requireHttps: true } }, { adapter, https: { key: pems.private, cert: pems.cert } });
      try {
        await t.app.listen(0, '127.0.0.1');
        const { port } = t.app.getHttpServer().address() as AddressInfo;
        const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
        const res = await request(`https://127.0.0.1:${port}`)
          .post(WEBHOOK_PATH)
          .ca(pems.cert)
          .set('content-type', 'application/json')
          .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET))
          .send(body);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
        expect(t.app.get(NetcoreSecurityStats).count('https_required')).toBe(0);
      } finally {
        await t.close();
      }
    });
  });
});
