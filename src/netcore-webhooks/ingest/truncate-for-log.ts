const LOG_LIMIT = 500;

/** Bounds what a hostile payload can put into one log line. */
export function truncateForLog(text: string, limit = LOG_LIMIT): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return oneLine.length > limit ? `${oneLine.slice(0, limit)}... (${oneLine.length} chars)` : oneLine;
}
