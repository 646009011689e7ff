import type { DeliveredCommand, Recipient, ResyncNotice } from '@gad/contracts';
import type { LogRange } from './command-log.repository';

export interface ReplayPlan {
  commands: DeliveredCommand[];
  currentSeq: number;
  resync?: ResyncNotice;
}

/**
 * What a device that handled everything up to `lastSeq` gets: the retained commands after it
 * (entries past the age limit count as gone), and a resync notice when commands it never saw are
 * gone (`retention_exceeded`) or its seq is ahead of the log (`sequence_reset`).
 */
export function planReplay(
  recipient: Recipient,
  range: LogRange,
  lastSeq: number,
  cutoffMs: number,
): ReplayPlan {
  const live = range.entries.filter((entry) => entry.appendedAt >= cutoffMs);
  const commands = live.map((entry) => entry.command);
  const { currentSeq } = range;
  if (lastSeq > currentSeq) {
    return {
      commands,
      currentSeq,
      resync: {
        recipient,
        reason: 'sequence_reset',
        lastSeq,
        oldestSeq: commands[0]?.seq ?? 0,
        currentSeq,
      },
    };
  }
  const firstMissing = lastSeq + 1;
  const gap = lastSeq < currentSeq && (commands.length === 0 || commands[0].seq > firstMissing);
  return gap
    ? {
        commands,
        currentSeq,
        resync: {
          recipient,
          reason: 'retention_exceeded',
          lastSeq,
          oldestSeq: commands[0]?.seq ?? 0,
          currentSeq,
        },
      }
    : { commands, currentSeq };
}
