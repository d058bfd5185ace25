import { compareKeys, upsertRounds } from './upsert-rounds';

describe('upsertRounds', () => {
  const key = (item: { id: string }) => item.id;

  it('puts each key at most once in a round, its items in their original order across rounds', () => {
    const items = [
      { id: 'b', n: 1 },
      { id: 'a', n: 2 },
      { id: 'b', n: 3 },
      { id: 'c', n: 4 },
      { id: 'b', n: 5 },
      { id: 'a', n: 6 },
    ];
    expect(upsertRounds(items, key).map((round) => round.map((item) => `${item.id}${item.n}`))).toEqual([
      ['a2', 'b1', 'c4'],
      ['a6', 'b3'],
      ['b5'],
    ]);
  });

  it('sorts every round by key in code-unit order, the same in every process', () => {
    const ids = ['é', 'Z', 'a', '10', '9', 'B'];
    expect(upsertRounds(ids.map((id) => ({ id })), key)[0].map(key)).toEqual(['10', '9', 'B', 'Z', 'a', 'é']);
  });

  it('answers no round for no items', () => {
    expect(upsertRounds([], key)).toEqual([]);
  });
});

describe('compareKeys', () => {
  const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

  it('orders keys as PostgreSQL\'s COLLATE "C" does (UTF-8 bytes), also for U+E000-U+FFFF against emoji', () => {
    const keys = ['\uFFFD-a', '\uFFFD\uFFFD-a', '\u{1F600}-a', 'a', 'ab', '', 'é', '\uE000', '\u{10000}', 'z|1|2', 'z'];
    for (const a of keys) for (const b of keys) expect([a, b, Math.sign(compareKeys(a, b))]).toEqual([a, b, utf8Order(a, b)]);
  });
});
