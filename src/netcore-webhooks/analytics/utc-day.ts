const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` of an instant, in UTC: the bucket of the daily counters. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isUtcDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const at = new Date(`${value}T00:00:00Z`);
  // Rolled-over days (02-30) and impossible months (13) do not round-trip.
  return !Number.isNaN(at.getTime()) && utcDay(at) === value;
}
