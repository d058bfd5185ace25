import { asDefaultSink } from './netcore-sink-provider';

class LedgerSink {
  charge(): void {}
}
class AuditedLedgerSink extends LedgerSink {}

describe('asDefaultSink', () => {
  it('answers the sink when it is an instance of exactly the default class', () => {
    const sink = new LedgerSink();
    expect(asDefaultSink(sink, LedgerSink)).toBe(sink);
  });

  it('answers null for a subclass, which may record differently', () => {
    expect(asDefaultSink(new AuditedLedgerSink(), LedgerSink)).toBeNull();
  });

  it('answers null for a host object with the same methods', () => {
    expect(asDefaultSink({ charge() {} }, LedgerSink)).toBeNull();
  });
});
