import { HmacVerifier } from './hmac.verifier';
import { WebhookVerificationError } from './webhook-verification.error';

// Accepting, wrong secrets, rotation, changed bodies and missing headers: test/verification-schemes.e2e-spec.ts.
const body = Buffer.from('{"delivery_status":[]}');
const verifier = (over: Partial<ConstructorParameters<typeof HmacVerifier>[0]> = {}) =>
  new HmacVerifier({ secrets: ['s3cret'], header: 'x-netcore-signature', algorithm: 'sha256', encoding: 'hex', ...over });

function reasonOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebhookVerificationError);
    return (e as WebhookVerificationError).reason;
  }
  throw new Error('expected verification to fail');
}

describe('HmacVerifier', () => {
  it('accepts the sha256= prefix', () => {
    const v = verifier();
    expect(() => v.verify(body, { 'x-netcore-signature': `sha256=${v.sign(body)}` })).not.toThrow();
  });

  it('supports sha512 with base64', () => {
    const v = verifier({ algorithm: 'sha512', encoding: 'base64' });
    expect(() => v.verify(body, { 'x-netcore-signature': v.sign(body) })).not.toThrow();
  });

  it('rejects a malformed or repeated header', () => {
    const v = verifier();
    expect(reasonOf(() => v.verify(body, { 'x-netcore-signature': 'zz' }))).toMatch(/malformed/);
    expect(reasonOf(() => v.verify(body, { 'x-netcore-signature': ['a', 'b'] as unknown as string }))).toMatch(/more than one/);
  });

  it('refuses to be built without a secret', () => {
    expect(() => verifier({ secrets: [] })).toThrow(/non-empty secret/);
    expect(() => verifier({ secrets: [''] })).toThrow(/non-empty secret/);
  });
});
