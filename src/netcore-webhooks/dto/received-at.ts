const DIGITS = /^\d{1,13}$/;
const UTC_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
/** Values at or above this are epoch milliseconds, below it epoch seconds (year 5138 in seconds). */
const MILLISECONDS_FROM = 1e11;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/**
 * Parses Netcore's `received_at`: epoch seconds as a string of digits or an integer (epoch milliseconds
 * are recognised by size), or the older `YYYY-MM-DD HH:mm:ss` in UTC. Returns epoch milliseconds, or
 * `undefined` when the value is none of these or lies outside 2000-2100.
 */
export function parseReceivedAt(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) ms = value >= MILLISECONDS_FROM ? value : value * 1000;
  } else if (typeof value === 'string') {
    if (DIGITS.test(value)) {
      const n = Number(value);
      ms = n >= MILLISECONDS_FROM ? n : n * 1000;
    } else {
      const m = UTC_DATE_TIME.exec(value);
      if (m) {
        const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
        const t = Date.UTC(y, mo - 1, d, h, mi, s);
        const check = new Date(t);
        // Date.UTC rolls 2025-02-31 over to March: such a value is not a real timestamp.
        if (check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && h < 24 && mi < 60 && s < 60) ms = t;
      }
    }
  }
  return ms !== undefined && ms >= EARLIEST && ms < LATEST ? ms : undefined;
}
