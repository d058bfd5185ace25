/**
 * Splits `items` into the rounds of a batch upsert: no round holds two items with the same key (PostgreSQL
 * refuses to update a row twice in one INSERT ... ON CONFLICT DO UPDATE), items of one key keep their order
 * across rounds, each round is sorted by key, and a key's first round is the first one: concurrent
 * transactions lock rows in one order and cannot deadlock.
 */
export function upsertRounds<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const round = seen.get(k) ?? 0;
    seen.set(k, round + 1);
    (rounds[round] ??= []).push(item);
  }
  for (const round of rounds) round.sort((a, b) => compareKeys(key(a), key(b)));
  return rounds;
}

/** Code-unit order, the same in every process (localeCompare is not). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
