import { ANALYTICS_SOURCE_LENGTH } from '../entities/netcore-analytics-event.entity';

/**
 * `source` as the analytics tables keep it: its first ANALYTICS_SOURCE_LENGTH characters (code points, as
 * PostgreSQL's varchar counts them), '' when absent. Cut rather than refused: a value the column refuses
 * would fail the event's analytics on every retry.
 */
export function analyticsSource(source: string | undefined): string {
  if (!source) return '';
  // Never more code points than UTF-16 units: the usual short value is kept as it is without counting.
  if (source.length <= ANALYTICS_SOURCE_LENGTH) return source;
  let end = 0;
  let kept = 0;
  for (const character of source) {
    if (kept++ === ANALYTICS_SOURCE_LENGTH) break;
    end += character.length;
  }
  return source.slice(0, end);
}
