import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { createLogger, type Logger } from '@gad/observability';
import { metrics } from '@opentelemetry/api';
import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisClientFromUrl } from '../redis/redis-client';

/** Where a processor's workers reach their queues. */
export interface QueueConnectionOptions {
  /** `REDIS_URL`; a `redis+cluster://` URL gives an ioredis Cluster ({@link redisClientFromUrl}). */
  redisUrl: string;
  /** BullMQ key prefix, hash-tagged (`<keyPrefix>{audit}`) so a queue's keys share one cluster slot. */
  prefix: string;
  /** `CLIENT SETNAME` of the shared connection. */
  connectionName?: string;
  /** ioredis auto-pipelining: the completions of many jobs leave in a few writes. */
  enableAutoPipelining?: boolean;
}

/** One consumed queue. */
export interface QueueWorkerSpec<T = unknown> {
  queue: string;
  process: Processor<T>;
  /** BullMQ worker options; `concurrency` is the total of this queue's `fetchers`. */
  options?: Omit<WorkerOptions, 'connection' | 'prefix'>;
  /**
   * BullMQ Workers on this queue in this process, sharing `concurrency` (default 1): one Worker
   * fetches its jobs one Redis round trip at a time, several fetch in parallel.
   */
  fetchers?: number;
  /** Log every failed attempt at this level (default: not logged; the job's retries tell). */
  logFailedAs?: 'warn' | 'error';
  /** An observable gauge of the queue's jobs by `state` (wait, active, delayed, failed). */
  depthGauge?: { meter: string; name: string; description: string };
}

/**
 * The base of every BullMQ processor (docs/architecture.md, "How to add a capability"): a subclass
 * names its connection and queues and translates jobs into service calls; the base opens one
 * connection through the shared Redis factory (ADR 0002), starts the workers when the application
 * has bootstrapped, logs worker errors (and failed attempts when asked) through the pino logger,
 * registers the queue-depth gauges, and before the application shuts down (while the database is
 * still open) stops taking jobs, lets the jobs in hand finish and disconnects.
 */
export abstract class QueueProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger: Logger;
  private connection: Redis | undefined;
  private running: Worker[] = [];
  private gaugeQueues: Queue[] = [];

  protected constructor(loggerName: string) {
    this.logger = createLogger(loggerName);
  }

  protected abstract connectionOptions(): QueueConnectionOptions;

  protected abstract queues(): QueueWorkerSpec<never>[];

  /** The running workers (empty before {@link start} and after {@link close}). */
  protected get workers(): readonly Worker[] {
    return this.running;
  }

  /** Starts consuming (once). */
  start(): void {
    if (this.running.length > 0) {
      return;
    }
    const options = this.connectionOptions();
    // BullMQ's blocking commands must wait as long as they need: no per-request retry limit.
    const connection = redisClientFromUrl(options.redisUrl, {
      maxRetriesPerRequest: null,
      connectionName: options.connectionName,
      enableAutoPipelining: options.enableAutoPipelining,
    });
    // Outages surface as worker errors (logged below) and reconnects; an unhandled 'error' would crash.
    connection.on('error', () => undefined);
    this.connection = connection;
    for (const spec of this.queues() as QueueWorkerSpec[]) {
      this.startQueue(connection, options.prefix, spec);
    }
  }

  /** Stops taking jobs, waits for the jobs in hand, and disconnects. */
  async close(): Promise<void> {
    const workers = this.running;
    this.running = [];
    await Promise.all(workers.map((worker) => worker.close()));
    const queues = this.gaugeQueues;
    this.gaugeQueues = [];
    await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
    this.connection?.disconnect();
    this.connection = undefined;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Before the DataSource closes: the jobs in hand must still finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private startQueue(connection: Redis, prefix: string, spec: QueueWorkerSpec): void {
    const fetchers = Math.max(1, spec.fetchers ?? 1);
    const concurrency = spec.options?.concurrency ?? 1;
    for (let i = 0; i < fetchers; i += 1) {
      const worker = new Worker(spec.queue, spec.process, {
        ...spec.options,
        connection,
        prefix,
        concurrency: Math.max(1, Math.ceil(concurrency / fetchers)),
      });
      worker.on('error', (error) =>
        this.logger.error({ queue: spec.queue, error: error.message }, 'worker error'),
      );
      const level = spec.logFailedAs;
      if (level) {
        worker.on('failed', (job, error) =>
          this.logger[level](
            {
              queue: spec.queue,
              jobId: job?.id,
              attemptsMade: job?.attemptsMade,
              error: error.message,
            },
            'job failed',
          ),
        );
      }
      this.running.push(worker);
    }
    if (spec.depthGauge) {
      this.observeDepth(connection, prefix, spec.queue, spec.depthGauge);
    }
  }

  private observeDepth(
    connection: Redis,
    prefix: string,
    name: string,
    gauge: NonNullable<QueueWorkerSpec['depthGauge']>,
  ): void {
    const queue = new Queue(name, { connection, prefix });
    queue.on('error', () => undefined);
    this.gaugeQueues.push(queue);
    metrics
      .getMeter(gauge.meter)
      .createObservableGauge(gauge.name, { description: gauge.description })
      .addCallback(async (result) => {
        // A gauge cannot be unregistered: a closed (or restarted) processor's queue reports nothing.
        if (!this.gaugeQueues.includes(queue)) {
          return;
        }
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'failed');
        for (const [state, count] of Object.entries(counts)) {
          result.observe(count, { state });
        }
      });
  }
}
