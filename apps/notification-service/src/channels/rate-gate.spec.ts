import { RateGate } from './rate-gate';

describe('RateGate', () => {
  let now = 0;
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    now += ms;
    return Promise.resolve();
  };

  beforeEach(() => {
    now = 1_000;
    slept.length = 0;
  });

  it('spaces calls to one chat by the per-chat rate', async () => {
    const sut = new RateGate(30, 1, () => now, sleep);
    expect(await sut.wait('chat-1')).toBe(0);
    expect(await sut.wait('chat-1')).toBe(1000);
  });

  it('spaces calls to different chats only by the global rate', async () => {
    const sut = new RateGate(10, 1, () => now, sleep);
    expect(await sut.wait('a')).toBe(0);
    expect(await sut.wait('b')).toBe(100);
    expect(await sut.wait('c')).toBe(100);
  });

  it('holds a chat off for a retry_after without holding up the other chats', async () => {
    const frozen: number[] = [];
    const sut = new RateGate(
      30,
      1,
      () => now,
      (ms) => {
        frozen.push(ms);
        return Promise.resolve();
      },
    );
    sut.holdOff(5_000, 'chat-1');
    const [held, other] = await Promise.all([sut.wait('chat-1'), sut.wait('chat-2')]);
    expect(held).toBeGreaterThanOrEqual(5_000);
    expect(other).toBe(0);
    expect(frozen[0]).toBe(5_000);
  });
});
