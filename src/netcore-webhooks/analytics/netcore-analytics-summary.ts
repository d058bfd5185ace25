/** What `NetcoreAnalyticsService.summary()` is asked. Days are UTC, `YYYY-MM-DD`, both included. */
export interface NetcoreAnalyticsQuery {
  from: string;
  to: string;
  /** Only messages of this `source`. */
  source?: string;
  /** Only messages of this pricing category. */
  category?: string;
}

/** Durations between two statuses of the same message, in seconds (nearest-rank percentiles). */
export interface NetcoreTimingFigures {
  /** Messages with both statuses. */
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface NetcoreAnalyticsSummary {
  from: string;
  to: string;
  source: string | null;
  category: string | null;
  /** Messages that reached each status in the range (each message counted once per status). */
  funnel: { sent: number; delivered: number; read: number; failed: number; clicked: number };
  /** delivered/sent, read/delivered, failed/sent, rounded to 4 decimals; null without a denominator. */
  rates: { delivery: number | null; read: number | null; failure: number | null };
  timing: { sentToDelivered: NetcoreTimingFigures; deliveredToRead: NetcoreTimingFigures };
  /** Most frequent `status_remark` of failures, most frequent first (ties by remark). */
  topFailureRemarks: { remark: string; count: number }[];
}
