import type { Envelope } from '@gad/contracts';
import type { Database } from '@gad/platform';
import type { PoolClient } from 'pg';
import type { OutboxRelay } from './outbox.relay';
import type { OutboxWriter } from './outbox.writer';
import { UnitOfWork } from './unit-of-work';

const envelope = (n: number) => ({ id: `e${n}` }) as unknown as Envelope;

describe('UnitOfWork', () => {
  const client = { query: jest.fn() } as unknown as PoolClient;
  let attempts: number;
  let appended: { stream: string; ids: string[] }[];
  let relay: { nudge: jest.Mock };
  let sut: UnitOfWork;

  beforeEach(() => {
    attempts = 1;
    appended = [];
    relay = { nudge: jest.fn() };
    const database = {
      // Runs the work `attempts` times (as a retried transaction would), answers the last.
      transaction: jest.fn(async (work: (c: PoolClient) => Promise<unknown>) => {
        let result: unknown;
        for (let i = 0; i < attempts; i += 1) {
          appended = [];
          result = await work(client);
        }
        return result;
      }),
    };
    const outbox = {
      append: jest.fn(async (_c: unknown, stream: string, envelopes: readonly Envelope[]) => {
        appended.push({ stream, ids: envelopes.map((e) => e.id) });
      }),
    };
    sut = new UnitOfWork(
      database as unknown as Database,
      outbox as unknown as OutboxWriter,
      relay as unknown as OutboxRelay,
    );
  });

  it('appends the emitted events in order, per stream run, before the commit, then nudges', async () => {
    const order: string[] = [];
    const result = await sut.run(
      async (tx) => {
        expect(tx.client).toBe(client);
        tx.emit('a', envelope(1));
        tx.emit('a', [envelope(2), envelope(3)]);
        tx.emit('b', envelope(4));
        return 'value';
      },
      { beforeCommit: async () => void order.push(`before:${appended.length}`) },
    );
    expect(result).toBe('value');
    expect(order).toEqual(['before:0']);
    expect(appended).toEqual([
      { stream: 'a', ids: ['e1', 'e2', 'e3'] },
      { stream: 'b', ids: ['e4'] },
    ]);
    expect(relay.nudge).toHaveBeenCalledTimes(1);
  });

  it('keeps only the events of the attempt that committed', async () => {
    attempts = 2;
    let run = 0;
    await sut.run(async (tx) => {
      run += 1;
      tx.emit('a', envelope(run));
    });
    expect(appended).toEqual([{ stream: 'a', ids: ['e2'] }]);
  });

  it('does not nudge the relay when nothing was emitted', async () => {
    await sut.run(async () => undefined);
    expect(relay.nudge).not.toHaveBeenCalled();
  });
});
