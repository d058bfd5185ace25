/** The database refused the value itself (PostgreSQL class 22 or 54, SQLite "too big"), so retrying can never succeed. */
export function isDataError(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ?? (error as { code?: unknown })?.code;
  return typeof code === 'string' && (/^(22|54)[0-9A-Z]{3}$/.test(code) || code === 'SQLITE_TOOBIG');
}
