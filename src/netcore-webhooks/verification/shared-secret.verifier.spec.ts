import { SharedSecretVerifier } from './shared-secret.verifier';
import { failureOf } from '../../../test/support/verification-failure';

const body = Buffer.from('{"delivery_status":[]}');
const TOKEN = 'a-long-static-token-0123456789';
const verifier = (secrets = [TOKEN]) => new SharedSecretVerifier({ secrets, header: 'x-netcore-token' });

describe('SharedSecretVerifier', () => {
  it('accepts the configured header value', () => {
    expect(() => verifier().verify(body, { 'x-netcore-token': TOKEN })).not.toThrow();
  });

  it('accepts any of several values (rotation)', () => {
    const v = verifier(['new-token-0123456789abcdef', TOKEN]);
    expect(() => v.verify(body, v.signHeaders(body, TOKEN))).not.toThrow();
    expect(() => v.verify(body, v.signHeaders(body))).not.toThrow();
  });

  it('rejects another value, a prefix of the value, and the value with a suffix', () => {
    for (const presented of ['wrong-token-0123456789', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      expect(failureOf(() => verifier().verify(body, { 'x-netcore-token': presented })).failure).toBe('mismatch');
    }
  });

  it('rejects a missing or repeated header', () => {
    expect(failureOf(() => verifier().verify(body, {})).failure).toBe('missing');
    expect(failureOf(() => verifier().verify(body, { 'x-netcore-token': [TOKEN, TOKEN] as unknown as string })).failure).toBe('malformed');
  });

  it('accepts a non-ASCII secret sent as UTF-8 bytes (Node reads header bytes as latin1)', () => {
    const secret = 'clé-secrète-ünïcode-0123';
    const onTheWire = Buffer.from(secret, 'utf8').toString('latin1');
    expect(() => verifier([secret]).verify(body, { 'x-netcore-token': onTheWire })).not.toThrow();
  });

  it('never puts the secret in its error', () => {
    const error = failureOf(() => verifier().verify(body, { 'x-netcore-token': 'nope' }));
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('nope');
  });

  it('refuses to be built without a secret', () => {
    expect(() => verifier([])).toThrow(/non-empty secret/);
    expect(() => verifier([''])).toThrow(/non-empty secret/);
  });
});
