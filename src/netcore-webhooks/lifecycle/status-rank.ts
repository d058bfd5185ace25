/**
 * Rank of each lifecycle status. The current status of a message is the highest rank ever received,
 * because events arrive out of order: `delivered` outranks `failed` (the handset has it), `read` implies
 * `delivered`. Statuses without a rank (`clicked`, unknown ones) never change the current status.
 */
export const STATUS_RANK: Readonly<Record<string, number>> = Object.freeze({
  sent: 1,
  failed: 2,
  delivered: 3,
  read: 4,
});

export function statusRank(status: string): number {
  return Object.prototype.hasOwnProperty.call(STATUS_RANK, status) ? STATUS_RANK[status] : 0;
}
