/**
 * `value` as a varchar(`length`) column keeps it on both drivers (a lone surrogate as the U+FFFD both read back, at
 * most `length` code points): for descriptive fields, where refusing the event would cost more (a charge never voided).
 */
export function fitColumn(value: string, length: number): string {
  const whole = value.toWellFormed();
  // Never more code points than UTF-16 units: the usual short value is kept as it is without counting.
  if (whole.length <= length) return whole;
  const characters = [...whole];
  return characters.length <= length ? whole : characters.slice(0, length).join('');
}
