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

/**
 * Code-point order, which is UTF-8 byte order: PostgreSQL's `COLLATE "C"`, the order the claim and billing
 * updates lock rows in, so a batch insert and those updates lock in one order (localeCompare differs by
 * process). Plain `<` is UTF-16 order, which puts U+E000-U+FFFF after astral characters.
 * Keys hold no lone surrogate (validation refuses one in `ncmessage_id`), which PostgreSQL stores as U+FFFD.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (astral code points) above U+E000-U+FFFF; everything else keeps its order. */
function codePointRank(unit: number): number {
  return unit >= 0xd800 ? (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000) : unit;
}
