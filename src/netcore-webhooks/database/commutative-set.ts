/** `ON CONFLICT DO UPDATE` SET clauses giving the same row in any arrival order (`table` quoted; SET sees the old row). */
export const commutativeSet = {
  /** Keeps the earliest non-null instant. */
  earliest: (table: string, column: string): string =>
    `"${column}" = CASE WHEN ${table}."${column}" IS NULL OR EXCLUDED."${column}" < ${table}."${column}" THEN EXCLUDED."${column}" ELSE ${table}."${column}" END`,

  /** The remark of the earliest failure, judged against the old `failed_at`. */
  earliestFailureReason: (table: string): string =>
    `"failure_reason" = CASE WHEN EXCLUDED."failed_at" IS NOT NULL AND (${table}."failed_at" IS NULL OR EXCLUDED."failed_at" < ${table}."failed_at") THEN EXCLUDED."failure_reason" ELSE ${table}."failure_reason" END`,
};
