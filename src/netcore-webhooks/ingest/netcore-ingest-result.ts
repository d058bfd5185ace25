/** Body of the 200 answer. */
export interface NetcoreIngestResult {
  /** New events stored in this request. */
  accepted: number;
  /** Events already stored before (a retried webhook), or repeated within the batch. */
  duplicates: number;
  /** Items that failed validation; stored as dead letters with their errors. */
  rejected: number;
}
