import request from 'supertest';
import { DataSource } from 'typeorm';
import { NetcoreSecurityStats, NetcoreWebhookEvent } from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import { SCHEME_SIGNERS, type SchemeSigner } from './support/scheme-signers';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { WEBHOOK_PATH } from './support/webhook-client';

const variants = DATABASES.flatMap((db) => SCHEME_SIGNERS.map((signer) => [signer.scheme, db, signer] as const));

describe.each(variants)('verification scheme %s (%s)', (_scheme, kind, signer: SchemeSigner) => {
  const { current, previous, retired } = signer.secrets;
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind, { webhooks: { verification: signer.verification([current, previous]) } });
  });
  afterAll(() => t?.close());

  const inbox = () => t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
  const stats = () => t.app.get(NetcoreSecurityStats);
  const post = (body: string, headers: Record<string, string>) =>
    request(t.app.getHttpServer()).post(WEBHOOK_PATH).set('content-type', 'application/json').set(headers).send(body);
  const newBody = () => {
    const item = buildDeliveryStatus({ status: 'delivered' });
    return { item, body: JSON.stringify(buildWebhookPayload(item)) };
  };
  const stored = async (ncmessageId: string) => inbox().countBy({ ncmessageId });

  it('accepts a request signed with the configured secret and stores its event', async () => {
    const { item, body } = newBody();
    await post(body, signer.sign(body, current)).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
    expect(await stored(item.ncmessage_id)).toBe(1);
  });

  it('answers 401, stores nothing and counts a mismatch when the proof was made with another secret', async () => {
    const { item, body } = newBody();
    const before = stats().count('signature_mismatch');
    const res = await post(body, signer.sign(body, retired)).expect(401);
    expect(res.body.message).toBe('Invalid webhook signature');
    expect(await stored(item.ncmessage_id)).toBe(0);
    expect(stats().count('signature_mismatch')).toBe(before + 1);
  });

  it('accepts the previous secret during a rotation, and refuses it once it is retired', async () => {
    const { item, body } = newBody();
    await post(body, signer.sign(body, previous)).expect(200);
    expect(await stored(item.ncmessage_id)).toBe(1);
    const rotatedOut = await startHostApp(kind, { webhooks: { verification: signer.verification([current]) } });
    try {
      const next = newBody();
      await request(rotatedOut.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set(signer.sign(next.body, previous))
        .send(next.body)
        .expect(401);
    } finally {
      await rotatedOut.close();
    }
  });

  if (signer.signsBody) {
    it('answers 401 when the body was changed after signing', async () => {
      const { item, body } = newBody();
      await post(body.replace('"delivered"', '"read"'), signer.sign(body, current)).expect(401);
      expect(await stored(item.ncmessage_id)).toBe(0);
    });

    it('answers 401 when the same JSON was re-serialised with other spacing', async () => {
      const { item, body } = newBody();
      await post(JSON.stringify(JSON.parse(body), null, 2), signer.sign(body, current)).expect(401);
      expect(await stored(item.ncmessage_id)).toBe(0);
    });
  } else {
    // Documented in the README: a static header proves the sender knows the secret, not what it sent.
    it('accepts a changed body, because a static header does not cover the body (use HTTPS)', async () => {
      const { item, body } = newBody();
      await post(body.replace('"delivered"', '"read"'), signer.sign(body, current)).expect(200);
      expect(await inbox().findOneByOrFail({ ncmessageId: item.ncmessage_id })).toMatchObject({ status: 'read' });
    });

    it('accepts the same JSON re-serialised with other spacing, for the same reason', async () => {
      const { item, body } = newBody();
      await post(JSON.stringify(JSON.parse(body), null, 2), signer.sign(body, current)).expect(200);
      expect(await stored(item.ncmessage_id)).toBe(1);
    });
  }

  it.each(signer.headers)('answers 401 and counts a missing proof when the %s header is absent', async (header) => {
    const { item, body } = newBody();
    const { [header]: _omit, ...rest } = signer.sign(body, current);
    const before = stats().count('signature_missing');
    await post(body, rest).expect(401);
    expect(await stored(item.ncmessage_id)).toBe(0);
    expect(stats().count('signature_missing')).toBe(before + 1);
  });

  if (signer.scheme === 'standard-webhooks') {
    it.each([
      ['expired (signed 6 minutes ago)', -360_000],
      ['from the future (6 minutes ahead)', 360_000],
    ])('answers 401 when the timestamp is %s, even with a valid signature', async (_label, offset) => {
      const { item, body } = newBody();
      const before = stats().count('signature_timestamp');
      await post(body, signer.sign(body, current, Date.now() + offset)).expect(401);
      expect(await stored(item.ncmessage_id)).toBe(0);
      expect(stats().count('signature_timestamp')).toBe(before + 1);
    });

    it('accepts a timestamp 4 minutes old (within the default 5 minute tolerance)', async () => {
      const { body } = newBody();
      await post(body, signer.sign(body, current, Date.now() - 240_000)).expect(200);
    });
  } else {
    it('has no timestamp: a replayed request is answered 200 but counted as a duplicate, never a second event', async () => {
      const { item, body } = newBody();
      const headers = signer.sign(body, current);
      await post(body, headers).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await post(body, headers).expect(200, { accepted: 0, duplicates: 1, rejected: 0 });
      expect(await stored(item.ncmessage_id)).toBe(1);
    });
  }

  describe('with allowedIps', () => {
    let restricted: TestApp;
    let proxied: TestApp;
    beforeAll(async () => {
      const webhooks = { verification: signer.verification([current]), allowedIps: ['203.0.113.0/24'] };
      restricted = await startHostApp(kind, { webhooks });
      proxied = await startHostApp(kind, { webhooks }, { prepare: (app) => app.set('trust proxy', 'loopback') });
    });
    afterAll(async () => {
      await restricted?.close();
      await proxied?.close();
    });

    it('answers 403 to a validly signed request whose X-Forwarded-For is spoofed (trust proxy off)', async () => {
      const { item, body } = newBody();
      const res = await request(restricted.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set('x-forwarded-for', '203.0.113.7')
        .set(signer.sign(body, current))
        .send(body)
        .expect(403);
      expect(res.body.message).toBe('Source address not allowed');
      expect(restricted.app.get(NetcoreSecurityStats).count('ip_not_allowed')).toBe(1);
      expect(await restricted.app.get(DataSource).getRepository(NetcoreWebhookEvent).countBy({ ncmessageId: item.ncmessage_id })).toBe(0);
    });

    it('accepts the same request when the host trusts the proxy that set X-Forwarded-For', async () => {
      const { body } = newBody();
      await request(proxied.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set('x-forwarded-for', '203.0.113.7')
        .set(signer.sign(body, current))
        .send(body)
        .expect(200);
    });

    it('still checks the proof of an allowed source', async () => {
      const { body } = newBody();
      await request(proxied.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set('x-forwarded-for', '203.0.113.7')
        .set(signer.sign(body, retired))
        .send(body)
        .expect(401);
    });
  });
});
