import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { StandardWebhooksVerifier } from './standard-webhooks.verifier';
import { WebhookVerificationError } from './webhook-verification.error';
import { failureOf } from '../../../test/support/verification-failure';

// Accepting, wrong secrets, rotation, changed bodies, missing headers, expiry: test/verification-schemes.e2e-spec.ts.
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRET = secret();
const body = Buffer.from('{"delivery_status":[{"ncmessage_id":"m-1","status":"read","received_at":"1764693401"}]}');
const verifier = (over: Partial<ConstructorParameters<typeof StandardWebhooksVerifier>[0]> = {}) =>
  new StandardWebhooksVerifier({ secrets: [SECRET], toleranceSeconds: 300, now: () => NOW, ...over });

describe('StandardWebhooksVerifier', () => {
  it('accepts a secret without the whsec_ prefix', () => {
    const v = verifier({ secrets: [SECRET.slice('whsec_'.length)] });
    expect(() => v.verify(body, verifier().signHeaders(body, { timestamp: NOW }))).not.toThrow();
  });

  it('accepts a header listing several signatures, skipping other versions and foreign ones', () => {
    const v = verifier();
    const headers = v.signHeaders(body, { id: 'msg_2', timestamp: NOW });
    const foreign = verifier({ secrets: [secret()] }).sign('msg_2', NOW, body);
    expect(() => v.verify(body, { ...headers, 'webhook-signature': `v1a,ignored ${foreign} ${headers['webhook-signature']}` })).not.toThrow();
  });

  it('rejects a changed id or timestamp', () => {
    const v = verifier();
    const headers = v.signHeaders(body, { id: 'msg_3', timestamp: NOW });
    expect(failureOf(() => v.verify(body, { ...headers, 'webhook-id': 'msg_4' })).failure).toBe('mismatch');
    expect(failureOf(() => v.verify(body, { ...headers, 'webhook-timestamp': String(NOW / 1000 + 1) })).failure).toBe('mismatch');
  });

  it('accepts a timestamp at the edge of the tolerance and refuses one second beyond, naming the direction', () => {
    const v = verifier();
    for (const offset of [-300, 300]) expect(() => v.verify(body, v.signHeaders(body, { timestamp: NOW + offset * 1000 }))).not.toThrow();
    expect(failureOf(() => v.verify(body, v.signHeaders(body, { timestamp: NOW - 301_000 }))).reason).toMatch(/301s old/);
    expect(failureOf(() => v.verify(body, v.signHeaders(body, { timestamp: NOW + 301_000 }))).reason).toMatch(/301s in the future/);
  });

  it('rejects a timestamp that is not epoch seconds and a header without v1 signatures', () => {
    const v = verifier();
    const headers = v.signHeaders(body, { timestamp: NOW });
    expect(failureOf(() => v.verify(body, { ...headers, 'webhook-timestamp': '1.7e9' })).failure).toBe('malformed');
    expect(failureOf(() => v.verify(body, { ...headers, 'webhook-signature': 'v2,abc' })).failure).toBe('malformed');
  });

  it('refuses secrets that are not base64 or too short to be random keys', () => {
    expect(() => verifier({ secrets: ['whsec_not base64!'] })).toThrow(/secret 0 is not base64/);
    expect(() => verifier({ secrets: [SECRET, `whsec_${Buffer.from('short').toString('base64')}`] })).toThrow(/secret 1 decodes to 5 bytes/);
    expect(() => verifier({ secrets: [] })).toThrow(/at least one secret/);
  });

  describe('agrees with the standardwebhooks npm package', () => {
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const payloads = [body, Buffer.from('{"emoji":"🚀","nul":"\\u0000","text":"ünïcödé"}'), Buffer.from('')];

    it.each(payloads.map((p) => [p.toString().slice(0, 30), p]))('their sign, our verify (%s)', (_label, payload) => {
      const theirs = new Webhook(SECRET);
      const timestamp = new Date(NOW);
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(NOW / 1000),
        'webhook-signature': theirs.sign(id, timestamp, payload),
      };
      expect(() => verifier().verify(payload, headers)).not.toThrow();
    });

    it.each(payloads.map((p) => [p.toString().slice(0, 30), p]))('our sign, their verify (%s)', (_label, payload) => {
      // Their verify reads the real clock, so sign with it too.
      const ours = verifier({ now: Date.now });
      const headers = ours.signHeaders(payload, { id });
      expect(() => new Webhook(SECRET).verify(payload, headers)).not.toThrow();
    });

    it('produces the same signature string for the same inputs', () => {
      const timestamp = new Date(NOW);
      expect(verifier().sign(id, timestamp, body)).toBe(new Webhook(SECRET).sign(id, timestamp, body));
    });

    it('and both refuse what the other signed with a different secret', () => {
      const other = secret();
      const headers = verifier({ secrets: [other], now: Date.now }).signHeaders(body, { id });
      expect(() => new Webhook(SECRET).verify(body, headers)).toThrow();
      const theirs = new Webhook(other).sign(id, new Date(NOW), body);
      expect(() => verifier().verify(body, { 'webhook-id': id, 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': theirs })).toThrow(
        WebhookVerificationError,
      );
    });
  });
});
