import { HmacVerifier } from './hmac.verifier';
import { WebhookVerificationError } from './webhook-verification.error';

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
  it('accepts a hex signature made with the secret over the exact bytes', () => {
    const v = verifier();
    expect(() => v.verify(body, { 'x-netcore-signature': v.sign(body) })).not.toThrow();
  });

  it('accepts the sha256= prefix', () => {
    const v = verifier();
    expect(() => v.verify(body, { 'x-netcore-signature': `sha256=${v.sign(body)}` })).not.toThrow();
  });

  it('accepts a signature made with any of several secrets (rotation)', () => {
    const v = verifier({ secrets: ['new', 'old'] });
    expect(() => v.verify(body, { 'x-netcore-signature': v.sign(body, 'old') })).not.toThrow();
    expect(() => v.verify(body, { 'x-netcore-signature': v.sign(body, 'new') })).not.toThrow();
  });

  it('supports sha512 with base64', () => {
    const v = verifier({ algorithm: 'sha512', encoding: 'base64' });
    expect(() => v.verify(body, { 'x-netcore-signature': v.sign(body) })).not.toThrow();
  });

  it('rejects a signature made with another secret', () => {
    const other = verifier({ secrets: ['other'] });
    expect(reasonOf(() => verifier().verify(body, { 'x-netcore-signature': other.sign(body) }))).toMatch(/does not match/);
  });

  it('rejects a body changed by one byte', () => {
    const v = verifier();
    const sig = v.sign(body);
    expect(reasonOf(() => v.verify(Buffer.from('{"delivery_status":[ ]}'), { 'x-netcore-signature': sig }))).toMatch(/does not match/);
  });

  it('rejects a missing, malformed, or repeated header', () => {
    const v = verifier();
    expect(reasonOf(() => v.verify(body, {}))).toMatch(/missing/);
    expect(reasonOf(() => v.verify(body, { 'x-netcore-signature': 'zz' }))).toMatch(/malformed/);
    expect(reasonOf(() => v.verify(body, { 'x-netcore-signature': ['a', 'b'] as unknown as string }))).toMatch(/more than one/);
  });

  it('never puts the secret or the signature in its error', () => {
    const v = verifier();
    const sig = verifier({ secrets: ['wrong'] }).sign(body);
    const reason = reasonOf(() => v.verify(body, { 'x-netcore-signature': sig }));
    expect(reason).not.toContain('s3cret');
    expect(reason).not.toContain(sig);
  });

  it('refuses to be built without a secret', () => {
    expect(() => verifier({ secrets: [] })).toThrow(/non-empty secret/);
    expect(() => verifier({ secrets: [''] })).toThrow(/non-empty secret/);
  });
});
