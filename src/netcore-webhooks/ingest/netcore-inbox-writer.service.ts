import { Injectable, Logger } from '@nestjs/common';
import { NetcoreDatabase } from '../database/netcore-database';
import { flushInbox } from './inbox-flush';
import type { InboxWrite, InboxWriteResult } from './inbox-write';
import { truncateForLog } from './truncate-for-log';

interface QueuedWrite {
  write: InboxWrite;
  size: number;
  resolve(result: InboxWriteResult): void;
  reject(error: unknown): void;
}

/** Rows per transaction: bounds how long one synchronous SQLite commit holds the event loop. */
const MAX_FLUSH_ROWS = 2000;

/**
 * Group commit for the inbox: writes of requests that arrive while a transaction is being written wait for
 * the next one, which then carries all of them. Each request is answered only after the transaction holding
 * its rows committed. A failed group is retried request by request, so one bad request fails alone.
 */
@Injectable()
export class NetcoreInboxWriter {
  private readonly logger = new Logger('NetcoreWebhooks');
  private readonly queue: QueuedWrite[] = [];
  /** SQLite has one writer; PostgreSQL overlaps a few transactions so commits are not strictly serial. */
  private readonly maxFlushes: number;
  private flushes = 0;
  private scheduled = false;

  constructor(private readonly db: NetcoreDatabase) {
    this.maxFlushes = db.postgres ? 4 : 1;
  }

  /** Resolves with the events this write stored first, once they are committed. */
  write(write: InboxWrite): Promise<InboxWriteResult> {
    const size = write.rows.length + write.deadLetters.length;
    if (size === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ write, size, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushes >= this.maxFlushes || !this.queue.length) return;
    this.scheduled = true;
    // setImmediate: requests whose bodies were read in the same turn of the event loop join this group.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const group = this.take();
    if (!group.length) return;
    this.flushes++;
    this.schedule();
    try {
      const results = await this.run(group);
      group.forEach((queued, i) => queued.resolve(results[i]));
    } catch (error) {
      if (group.length === 1) group[0].reject(error);
      else await this.isolate(group, error);
    } finally {
      this.flushes--;
      this.schedule();
    }
  }

  private take(): QueuedWrite[] {
    const group: QueuedWrite[] = [];
    let rows = 0;
    while (this.queue.length && (group.length === 0 || rows + this.queue[0].size <= MAX_FLUSH_ROWS)) {
      const next = this.queue.shift()!;
      rows += next.size;
      group.push(next);
    }
    return group;
  }

  /** The group failed: each request alone, so a database-wide fault fails all and a bad request only itself. */
  private async isolate(group: QueuedWrite[], error: unknown): Promise<void> {
    this.logger.warn(
      `A group of ${group.length} webhook writes failed; retrying them one by one: ${truncateForLog(String((error as Error)?.message ?? error))}`,
    );
    for (const queued of group) {
      try {
        queued.resolve((await this.run([queued]))[0]);
      } catch (alone) {
        queued.reject(alone);
      }
    }
  }

  private run(group: QueuedWrite[]): Promise<InboxWriteResult[]> {
    return this.db.write((manager) => flushInbox(this.db, manager, group.map((q) => q.write)));
  }
}
