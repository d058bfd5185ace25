/**
 * SET clauses for `ON CONFLICT DO UPDATE` that give the same row whatever order the events arrive in.
 * `table` is the quoted target table; SET expressions see the old row on both SQLite and PostgreSQL.
 */
export const commutativeSet = {
  /** Keeps the earliest non-null instant. */
  earliest: (table: string, column: string): string =>
    `"${column}" = CASE WHEN ${table}."${column}" IS NULL OR EXCLUDED."${column}" < ${table}."${column}" THEN EXCLUDED."${column}" ELSE ${table}."${column}" END`,

  /** The remark of the earliest failure, judged against the old `failed_at`. */
  earliestFailureReason: (table: string): string =>
    `"failure_reason" = CASE WHEN EXCLUDED."failed_at" IS NOT NULL AND (${table}."failed_at" IS NULL OR EXCLUDED."failed_at" < ${table}."failed_at") THEN EXCLUDED."failure_reason" ELSE ${table}."failure_reason" END`,
};
