/**
 * `value` as a varchar(`length`) column keeps it on both drivers, for descriptive fields where refusing the
 * event would cost more than a shortened value (a failed event refused is a charge never voided):
 * - well-formed: a lone surrogate becomes U+FFFD, as PostgreSQL stores it (SQLite keeps its bytes but reads
 *   them back as U+FFFD, so a value compared with what was read back would not match);
 * - at most `length` characters, counted as varchar counts them: code points.
 */
export function fitColumn(value: string, length: number): string {
  const whole = value.toWellFormed();
  // Never more code points than UTF-16 units: the usual short value is kept as it is without counting.
  if (whole.length <= length) return whole;
  const characters = [...whole];
  return characters.length <= length ? whole : characters.slice(0, length).join('');
}
