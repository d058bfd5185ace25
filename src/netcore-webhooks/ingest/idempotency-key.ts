/**
 * Identity of one event: a retried webhook repeats all three parts; a second click at another time does not.
 * Unambiguous although ncmessage_id may contain '|': status and the timestamp never do.
 */
export function idempotencyKey(ncmessageId: string, status: string, receivedAtMs: number): string {
  return `${ncmessageId}|${status}|${receivedAtMs}`;
}
