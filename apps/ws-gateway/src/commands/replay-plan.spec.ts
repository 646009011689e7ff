import type { DeliveredCommand } from '@gad/contracts';
import type { LogEntry } from './command-log.repository';
import { planReplay } from './replay-plan';

const entry = (seq: number, appendedAt = 1_000): LogEntry => ({
  seq,
  appendedAt,
  command: { seq, commandId: `c-${seq}` } as unknown as DeliveredCommand,
});

const unit = { kind: 'unit' as const, id: 'u-1' };

describe('planReplay', () => {
  it('replays every retained command after lastSeq in order', () => {
    const sut = planReplay(
      unit,
      { currentSeq: 5, oldestSeq: 1, entries: [entry(4), entry(5)] },
      3,
      0,
    );
    expect(sut.commands.map((c) => c.seq)).toEqual([4, 5]);
    expect(sut.resync).toBeUndefined();
  });

  it('has nothing to do for an up-to-date device', () => {
    const sut = planReplay(unit, { currentSeq: 5, oldestSeq: 1, entries: [] }, 5, 0);
    expect(sut).toEqual({ commands: [], currentSeq: 5 });
  });

  it('signals retention_exceeded when the next command was trimmed', () => {
    const sut = planReplay(
      unit,
      { currentSeq: 9, oldestSeq: 7, entries: [entry(7), entry(8), entry(9)] },
      2,
      0,
    );
    expect(sut.resync).toEqual({
      recipient: unit,
      reason: 'retention_exceeded',
      lastSeq: 2,
      oldestSeq: 7,
      currentSeq: 9,
    });
    expect(sut.commands.map((c) => c.seq)).toEqual([7, 8, 9]);
  });

  it('treats entries past the age limit as gone', () => {
    const sut = planReplay(
      unit,
      { currentSeq: 2, oldestSeq: 1, entries: [entry(1, 10), entry(2, 10)] },
      0,
      500,
    );
    expect(sut.commands).toEqual([]);
    expect(sut.resync?.reason).toBe('retention_exceeded');
  });

  it('signals sequence_reset when the device is ahead of the log', () => {
    const sut = planReplay(unit, { currentSeq: 0, oldestSeq: 0, entries: [] }, 12, 0);
    expect(sut.resync).toEqual({
      recipient: unit,
      reason: 'sequence_reset',
      lastSeq: 12,
      oldestSeq: 0,
      currentSeq: 0,
    });
  });
});
