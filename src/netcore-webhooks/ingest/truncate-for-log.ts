const LOG_LIMIT = 500;

/**
 * Bounds what a hostile payload can put into one log line: one line, control characters (ANSI escapes,
 * NUL) shown escaped, at most `limit` characters.
 */
export function truncateForLog(text: string, limit = LOG_LIMIT): string {
  const cut = text.length > limit ? text.slice(0, limit) : text;
  const safe = cut.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > limit ? `${safe}... (${text.length} chars)` : safe;
}
