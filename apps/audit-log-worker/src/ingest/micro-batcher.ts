export interface MicroBatcherOptions {
  /** A batch is written as soon as it holds this many items. */
  maxSize: number;
  /** ...or this long after its first item arrived. */
  maxWaitMs: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Collects items from concurrent callers into batches and writes one batch at a time with `write`.
 * {@link add} resolves only after the batch holding the item was written (committed), and rejects
 * with the batch's error (or the item's own, when `write` returns per-item errors), so each BullMQ
 * job completes only after its entry is durable.
 */
export class MicroBatcher<T> {
  private pending: Waiting<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<ReadonlyArray<Error | undefined> | void>,
    private readonly options: MicroBatcherOptions,
  ) {}

  /** Items waiting for the next batch. */
  get size(): number {
    return this.pending.length;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing || this.pending.length === 0) {
      return;
    }
    if (this.pending.length >= this.options.maxSize || this.options.maxWaitMs === 0) {
      this.clearTimer();
      void this.writeNext();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.writeNext();
      }, this.options.maxWaitMs);
    }
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private async writeNext(): Promise<void> {
    if (this.writing || this.pending.length === 0) {
      return;
    }
    this.writing = true;
    const batch = this.pending.splice(0, this.options.maxSize);
    try {
      const errors = await this.write(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => {
        const error = errors?.[index];
        if (error) {
          waiting.reject(error);
        } else {
          waiting.resolve();
        }
      });
    } catch (error) {
      for (const waiting of batch) {
        waiting.reject(error);
      }
    } finally {
      this.writing = false;
      this.kick();
    }
  }
}
