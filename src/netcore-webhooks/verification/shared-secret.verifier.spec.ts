import { SharedSecretVerifier } from './shared-secret.verifier';
import { failureOf } from '../../../test/support/verification-failure';

// Accepting, other values, rotation and missing headers: test/verification-schemes.e2e-spec.ts.
const body = Buffer.from('{"delivery_status":[]}');
const TOKEN = 'a-long-static-token-0123456789';
const verifier = (secrets = [TOKEN]) => new SharedSecretVerifier({ secrets, header: 'x-netcore-token' });

describe('SharedSecretVerifier', () => {
  it('rejects a prefix of the value, the value with a suffix, and a repeated header', () => {
    for (const presented of [TOKEN.slice(0, -1), `${TOKEN}x`]) {
      expect(failureOf(() => verifier().verify(body, { 'x-netcore-token': presented })).failure).toBe('mismatch');
    }
    expect(failureOf(() => verifier().verify(body, { 'x-netcore-token': [TOKEN, TOKEN] as unknown as string })).failure).toBe('malformed');
  });

  it('accepts a non-ASCII secret sent as UTF-8 bytes (Node reads header bytes as latin1)', () => {
    const secret = 'clé-secrète-ünïcode-0123';
    const onTheWire = Buffer.from(secret, 'utf8').toString('latin1');
    expect(() => verifier([secret]).verify(body, { 'x-netcore-token': onTheWire })).not.toThrow();
  });

  it('refuses to be built without a secret', () => {
    expect(() => verifier([])).toThrow(/non-empty secret/);
    expect(() => verifier([''])).toThrow(/non-empty secret/);
  });
});
