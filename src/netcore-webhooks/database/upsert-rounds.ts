/** Rows per statement: stays under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters for our widest table. */
export const MAX_ROWS_PER_STATEMENT = 500;

/**
 * Splits `items` into the multi-row statements of a batch upsert: no statement holds two items with the same
 * key (PostgreSQL refuses to update a row twice in one INSERT ... ON CONFLICT DO UPDATE), items of one key keep
 * their order across statements, and each statement is sorted by key so concurrent transactions lock rows in
 * one order and cannot deadlock.
 */
export function upsertRounds<T>(items: readonly T[], key: (item: T) => string, maxRows = MAX_ROWS_PER_STATEMENT): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const round = seen.get(k) ?? 0;
    seen.set(k, round + 1);
    (rounds[round] ??= []).push(item);
  }
  const statements: T[][] = [];
  for (const round of rounds) {
    round.sort((a, b) => compareKeys(key(a), key(b)));
    for (let i = 0; i < round.length; i += maxRows) statements.push(round.slice(i, i + maxRows));
  }
  return statements;
}

/** Code-unit order, the same in every process (localeCompare is not). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
