// QueueProcessor on the real Redis of tools/stack and real BullMQ: the workers it starts, the
// connection it opens, what it logs, and a close that lets the jobs in hand finish.
import { isolatedRedisPrefix, testStack, waitFor } from '@gad/testing';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueProcessor, type QueueConnectionOptions, type QueueWorkerSpec } from '../src';

interface TestJob {
  n: number;
  fail?: boolean;
  hold?: boolean;
}

const QUEUE = 'queue-processor-it';

class TestProcessor extends QueueProcessor {
  readonly seen: number[] = [];
  private release: () => void = () => undefined;
  readonly held = new Promise<void>((resolve) => (this.release = resolve));

  constructor(
    private readonly prefix: string,
    readonly connectionName: string,
  ) {
    super('queue-processor-it');
  }

  get log() {
    return this.logger;
  }

  get started() {
    return this.workers;
  }

  releaseHeld(): void {
    this.release();
  }

  protected connectionOptions(): QueueConnectionOptions {
    return {
      redisUrl: testStack.redisUrl,
      prefix: this.prefix,
      connectionName: this.connectionName,
    };
  }

  protected queues(): QueueWorkerSpec<TestJob>[] {
    return [
      {
        queue: QUEUE,
        process: async (job: Job<TestJob>) => {
          if (job.data.hold) {
            await this.held;
          }
          if (job.data.fail) {
            throw new Error(`job ${job.data.n} refused`);
          }
          this.seen.push(job.data.n);
        },
        fetchers: 2,
        options: { concurrency: 4 },
        logFailedAs: 'warn',
      },
    ];
  }
}

describe('QueueProcessor (real Redis, real BullMQ)', () => {
  const keys = isolatedRedisPrefix();
  const prefix = `${keys.prefix}{test}`;
  let redis: Redis;
  let queue: Queue<TestJob>;
  let sut: TestProcessor;

  const clientNames = async (): Promise<string[]> =>
    String(await redis.client('LIST'))
      .split('\n')
      .map((line) => /name=(\S*)/.exec(line)?.[1] ?? '');

  beforeAll(() => {
    redis = new Redis(testStack.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue<TestJob>(QUEUE, { connection: redis, prefix });
  });

  beforeEach(() => {
    sut = new TestProcessor(prefix, `queue-processor-it:${Math.random().toString(36).slice(2)}`);
  });

  afterEach(async () => {
    sut.releaseHeld();
    await sut.close();
    await queue.obliterate({ force: true });
  });

  afterAll(async () => {
    await queue.close();
    await keys.cleanUp();
    redis.disconnect();
  });

  it('starts `fetchers` workers sharing the concurrency on one named connection, once', async () => {
    sut.onApplicationBootstrap();
    sut.start();

    expect(sut.started).toHaveLength(2);
    expect(sut.started.map((worker) => worker.opts.concurrency)).toEqual([2, 2]);
    await queue.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'test', data: { n } })));
    await waitFor(() => sut.seen.length === 5, {
      description: 'five jobs processed',
      timeoutMs: 5_000,
    });
    expect([...sut.seen].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await clientNames()).toContain(sut.connectionName);
  });

  it('logs a failed attempt with its queue and job id', async () => {
    const warn = jest.spyOn(sut.log, 'warn');
    sut.start();

    const job = await queue.add('test', { n: 1, fail: true });
    await waitFor(() => warn.mock.calls.length > 0, { description: 'a warning', timeoutMs: 5_000 });

    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ queue: QUEUE, jobId: job.id, error: 'job 1 refused' }),
      'job failed',
    );
  });

  it('closes after the jobs in hand finish, then drops its connection', async () => {
    sut.start();
    const job = await queue.add('test', { n: 7, hold: true });
    await waitFor(async () => (await job.getState()) === 'active', {
      description: 'the held job active',
      timeoutMs: 5_000,
    });

    // The job is let go a little after shutdown begins; close must wait for it.
    setTimeout(() => sut.releaseHeld(), 300);
    const seenWhenClosed = await sut.beforeApplicationShutdown().then(() => [...sut.seen]);

    expect(seenWhenClosed).toEqual([7]);
    expect(sut.seen).toEqual([7]);
    expect(await job.getState()).toBe('completed');
    expect(sut.started).toHaveLength(0);
    await waitFor(async () => !(await clientNames()).includes(sut.connectionName), {
      description: 'the connection gone from CLIENT LIST',
      timeoutMs: 5_000,
    });
  });
});
