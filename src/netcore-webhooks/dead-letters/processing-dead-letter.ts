import { createHash } from 'node:crypto';

/** One dead letter per inbox row: the row dying again after a failed replay reopens the same letter. */
export function processingFingerprint(eventId: string): string {
  return createHash('sha256').update('processing\n').update(eventId).digest('hex');
}
