/**
 * The rounds of a batch upsert: a key at most once per round (PostgreSQL updates a row once per statement), its
 * items in order, and each round sorted by key so that concurrent transactions lock rows in one order (no deadlock).
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
 * Code-point order (UTF-8 bytes, PostgreSQL's `COLLATE "C"`), the order the claim and billing updates lock rows in;
 * `<` is UTF-16 order and localeCompare varies by process. Keys hold no lone surrogate (validation refuses them).
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
