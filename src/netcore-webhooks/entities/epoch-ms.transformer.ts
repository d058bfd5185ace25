import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in a `bigint` column: the same SQL (comparisons, MIN,
 * differences for timing figures) then runs unchanged on SQLite and PostgreSQL, with no time-zone
 * conversion by either driver. Entities still expose `Date`. Written as a `bigint`: TypeORM puts a plain number
 * into SQLite's statement text, which makes each instant a new statement to prepare.
 */
export const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : BigInt(value.getTime())),
  // PostgreSQL returns bigint as a string.
  from: (value: string | number | null) => (value == null ? null : new Date(Number(value))),
};

/** Integer columns that PostgreSQL may return as strings (bigint, COUNT). */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value == null ? null : Number(value)),
};
