/**
 * True when the database refused a value itself (PostgreSQL class 22 "data exception" or 54 "program limit
 * exceeded", SQLite "too big"), as opposed to being unavailable. Retrying such a request can never succeed.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ?? (error as { code?: unknown })?.code;
  return typeof code === 'string' && (/^(22|54)[0-9A-Z]{3}$/.test(code) || code === 'SQLITE_TOOBIG');
}
