/** What `NetcoreAnalyticsService.summary()` and `series()` are asked. Days are UTC, `YYYY-MM-DD`, both included. */
export interface NetcoreAnalyticsQuery {
  from: string;
  to: string;
  /** Only messages of this `source`. */
  source?: string;
  /** Only messages of this pricing category. */
  category?: string;
}

/** A count per status. */
export interface NetcoreAnalyticsCounts {
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  clicked: number;
}

/** delivered/sent, read/delivered, failed/sent of the funnel, rounded to 4 decimals; null without a denominator. */
export interface NetcoreAnalyticsRates {
  delivery: number | null;
  read: number | null;
  failure: number | null;
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
  /**
   * The cohort funnel: messages whose earliest event falls in the range, counted once per status they ever
   * reached (read ⇒ delivered ⇒ sent, failed ⇒ sent; failed only when never delivered).
   */
  funnel: NetcoreAnalyticsCounts;
  /** Of the funnel, so each is within [0, 1]. */
  rates: NetcoreAnalyticsRates;
  /** Activity: messages whose first event of each status is dated in the range, whatever their cohort. */
  activity: NetcoreAnalyticsCounts;
  /** Over the cohort: messages with both statuses. */
  timing: { sentToDelivered: NetcoreTimingFigures; deliveredToRead: NetcoreTimingFigures };
  /** Most frequent `status_remark` of the funnel's failures, most frequent first (ties by remark). */
  topFailureRemarks: { remark: string; count: number }[];
}

/** One day of `NetcoreAnalyticsService.series()`: that day's cohort funnel and that day's activity. */
export interface NetcoreAnalyticsSeriesDay {
  day: string;
  funnel: NetcoreAnalyticsCounts;
  rates: NetcoreAnalyticsRates;
  activity: NetcoreAnalyticsCounts;
}
