import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('writes many concurrent items in one batch and resolves each only after the write', async () => {
    let release: () => void = () => undefined;
    const writes: number[][] = [];
    const write = jest.fn(async (items: number[]) => {
      writes.push(items);
      await new Promise<void>((resolve) => (release = resolve));
    });
    const sut = new MicroBatcher(write, { maxSize: 3, maxWaitMs: 10_000 });
    const settled: number[] = [];
    const adds = [1, 2, 3].map((n) => sut.add(n).then(() => settled.push(n)));
    await Promise.resolve();
    expect(writes).toEqual([[1, 2, 3]]);
    expect(settled).toEqual([]);
    release();
    await Promise.all(adds);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('writes a partial batch after maxWaitMs', async () => {
    const write = jest.fn(async () => undefined);
    const sut = new MicroBatcher<number>(write, { maxSize: 100, maxWaitMs: 5 });
    await Promise.all([sut.add(1), sut.add(2)]);
    expect(write).toHaveBeenCalledWith([1, 2]);
  });

  it('rejects every item of a failed batch and keeps going', async () => {
    const write = jest
      .fn<Promise<void>, [number[]]>()
      .mockRejectedValueOnce(new Error('db down'))
      .mockResolvedValue(undefined);
    const sut = new MicroBatcher<number>(write, { maxSize: 2, maxWaitMs: 1 });
    const results = await Promise.allSettled([sut.add(1), sut.add(2), sut.add(3)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(write).toHaveBeenLastCalledWith([3]);
  });
});
