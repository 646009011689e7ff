import { SerialByKey } from './serial-by-key';

describe('SerialByKey', () => {
  it('runs tasks of one key in order and tasks of other keys alongside', async () => {
    const sut = new SerialByKey();
    const events: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = sut.run('unit-1', async () => {
      await gate;
      events.push('unit-1:a');
    });
    const second = sut.run('unit-1', async () => {
      events.push('unit-1:b');
    });
    const other = sut.run('unit-2', async () => {
      events.push('unit-2:a');
    });
    await other;
    expect(events).toEqual(['unit-2:a']);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['unit-2:a', 'unit-1:a', 'unit-1:b']);
  });

  it('keeps going after a failed task and reports the failure to its caller', async () => {
    const sut = new SerialByKey();
    const failed = sut.run('k', () => Promise.reject(new Error('boom')));
    const next = sut.run('k', () => Promise.resolve(2));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(2);
  });
});
