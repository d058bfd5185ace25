const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` of an instant, in UTC: the bucket of the daily counters. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isUtcDay(value: unknown): value is string {
  return typeof value === 'string' && DAY.test(value) && utcDay(new Date(`${value}T00:00:00Z`)) === value;
}
