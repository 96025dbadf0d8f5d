import type { SqlDatabase } from '../../platform/ports.js';
import type { RowBinaryTable } from './profile-rows.js';

/**
 * Inserts run one after another in the order they were queued, while the caller goes on
 * decoding: ClickHouse parses one block while Node builds the next. Order matters because a
 * profile's `profiles` row commits the rows queued before it. At most `maxQueuedBytes` wait
 * behind the running insert (the caller is held until they drain), so memory stays bounded by
 * configuration. After a failure nothing more is sent and every later call rethrows it: the batch
 * is retried whole, and the rows already sent belong to uncommitted ingest attempts.
 */
export class OrderedInserts {
  private readonly pending: { done: Promise<void>; bytes: number }[] = [];
  private tail: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly maxQueuedBytes: number,
  ) {}

  /** Queues one insert; `onInserted` runs once ClickHouse has acknowledged it. */
  async enqueue(target: RowBinaryTable, rows: Uint8Array, onInserted?: () => void): Promise<void> {
    this.throwIfFailed();
    if (rows.length === 0) return;
    const bytes = rows.length;
    this.queuedBytes += bytes;
    const done = this.tail.then(async () => {
      if (this.failure) return;
      try {
        await this.db.insertRowBinary(target.table, target.columns, rows);
        onInserted?.();
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.queuedBytes -= bytes;
      }
    });
    this.tail = done;
    this.pending.push({ done, bytes });
    while (this.queuedBytes > this.maxQueuedBytes && this.pending.length > 0) await this.pending.shift()?.done;
    this.throwIfFailed();
  }

  /** Waits for everything queued; throws the first failure. */
  async drain(): Promise<void> {
    await this.tail;
    this.pending.length = 0;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
