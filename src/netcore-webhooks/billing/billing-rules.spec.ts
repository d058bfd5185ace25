import fc from 'fast-check';
import { commandsDue, decideBilling, type BillingDecision } from './billing-rules';

const at = (ms: number | null) => (ms === null ? null : new Date(ms));

describe('decideBilling', () => {
  it.each([
    [null, null, null, 'none'],
    [1, null, null, 'charged'],
    [1, 2, null, 'voided'],
    [1, 2, 3, 'charged'],
    [1, null, 3, 'charged'],
    [null, 2, 3, 'none'],
  ])('billable %p, failed %p, delivered %p: %s', (billable, failed, delivered, decision) => {
    expect(decideBilling({ billableAt: at(billable), failedAt: at(failed), deliveredAt: at(delivered) })).toBe(decision);
  });
});

describe('commandsDue', () => {
  /** Applies commands as an idempotent sink does and answers its final state. */
  const apply = (kinds: string[], sink: BillingDecision) =>
    kinds.reduce<BillingDecision>((s, k) => (k === 'charge' ? (s === 'none' ? 'charged' : s) : k === 'void' ? (s === 'charged' ? 'voided' : s) : s === 'voided' ? 'charged' : s), sink);

  it('a message failed before anything was commanded is charged, then voided', () => {
    expect(commandsDue('none', 'voided')).toEqual(['charge', 'void']);
  });

  it('for any growing sequence of facts, the sink ends at the final decision and no kind is sent twice', () => {
    const facts = fc.array(fc.constantFrom('billable', 'failed', 'delivered'), { maxLength: 6 });
    fc.assert(
      fc.property(facts, fc.array(fc.nat(5), { maxLength: 6 }), (arrivals, cuts) => {
        // The facts arrive in any order and are folded in groups (batches) of any size.
        const seen = { billableAt: null as Date | null, failedAt: null as Date | null, deliveredAt: null as Date | null };
        let commanded: Exclude<BillingDecision, never> = 'none';
        const sent: string[] = [];
        let i = 0;
        for (const cut of [...cuts, arrivals.length]) {
          for (const fact of arrivals.slice(i, i + cut + 1)) seen[`${fact}At` as 'billableAt'] = new Date(1);
          i += cut + 1;
          const decision = decideBilling(seen);
          sent.push(...commandsDue(commanded, decision));
          if (decision !== 'none') commanded = decision;
          if (i >= arrivals.length) break;
        }
        expect(new Set(sent).size).toBe(sent.length);
        expect(apply(sent, 'none')).toBe(decideBilling(seen));
      }),
    );
  });
});
