import { Inject, Injectable } from '@nestjs/common';
import { COMMAND_LOG_APPEND_SCRIPT } from '@gad/bus';
import type { DeliveredCommand, CommandIssuedV1, Recipient } from '@gad/contracts';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WsRedisKeys } from '../realtime/redis-keys';

const APPEND_COMMAND = 'gadWsAppendCommand';
type AppendCommand = (...args: (string | number)[]) => Promise<unknown>;

export interface AppendResult {
  seq: number;
  /** False when the commandId was already in the log (a retried delivery). */
  inserted: boolean;
}

export interface LogEntry {
  seq: number;
  appendedAt: number;
  command: DeliveredCommand;
}

export interface LogRange {
  currentSeq: number;
  /** Oldest retained seq (0 when empty). */
  oldestSeq: number;
  entries: LogEntry[];
}

export interface RetentionOptions {
  maxLen: number;
  maxAgeMs: number;
}

export const COMMAND_LOG_KEYS = Symbol('COMMAND_LOG_KEYS');

/** The durable per-recipient command log in Redis (the gateway's only durable-ish state). */
@Injectable()
export class CommandLogRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(COMMAND_LOG_KEYS) private readonly keys: WsRedisKeys,
  ) {
    // EVALSHA with a fall-back to EVAL: the script body is not sent with every command.
    redis.defineCommand(APPEND_COMMAND, { numberOfKeys: 3, lua: COMMAND_LOG_APPEND_SCRIPT });
  }

  async append(
    agencyId: string,
    command: CommandIssuedV1,
    now: number,
    retention: RetentionOptions,
  ): Promise<AppendResult> {
    const keys = this.recipientKeys(agencyId, command.recipient);
    const ttlS = Math.ceil(retention.maxAgeMs / 1000) + 60;
    const append = (this.redis as unknown as Record<string, AppendCommand>)[APPEND_COMMAND];
    const result = (await append.call(
      this.redis,
      keys.seq,
      keys.log,
      keys.ids,
      command.commandId,
      JSON.stringify(command),
      now,
      retention.maxLen,
      retention.maxAgeMs,
      ttlS,
      // The counter outlives the log so sequences never restart while a device may still hold one.
      Math.max(ttlS * 30, 30 * 86_400),
    )) as [number, number];
    return { seq: Number(result[0]), inserted: Number(result[1]) === 1 };
  }

  /**
   * The recipient's sequence counter, 0 when it never had a command: one GET (the client
   * auto-pipelines, so the counters of a socket's two logs go out in one write).
   */
  async currentSeq(agencyId: string, recipient: Recipient): Promise<number> {
    return Number((await this.redis.get(this.recipientKeys(agencyId, recipient).seq)) ?? 0);
  }

  /** Entries with seq > `afterSeq` (oldest first, at most `limit`), the counter and the oldest seq. */
  async range(
    agencyId: string,
    recipient: Recipient,
    afterSeq: number,
    limit: number,
  ): Promise<LogRange> {
    const keys = this.recipientKeys(agencyId, recipient);
    const results = await this.redis
      .multi()
      .get(keys.seq)
      .zrange(keys.log, 0, 0, 'WITHSCORES')
      .zrangebyscore(keys.log, `(${afterSeq}`, '+inf', 'LIMIT', 0, limit)
      .exec();
    if (!results || results.some(([error]) => error)) {
      throw results?.find(([error]) => error)?.[0] ?? new Error('command log read failed');
    }
    const currentSeq = Number(results[0][1] ?? 0);
    const oldest = results[1][1] as string[];
    const members = results[2][1] as string[];
    return {
      currentSeq,
      oldestSeq: oldest.length === 2 ? Number(oldest[1]) : 0,
      entries: members.map(parseMember),
    };
  }

  private recipientKeys(agencyId: string, recipient: Recipient) {
    return this.keys.commandLog(agencyId, recipient.kind, recipient.id);
  }
}

function parseMember(member: string): LogEntry {
  const first = member.indexOf('|');
  const second = member.indexOf('|', first + 1);
  const third = member.indexOf('|', second + 1);
  const seq = Number(member.slice(0, first));
  const command = JSON.parse(member.slice(third + 1)) as CommandIssuedV1;
  return {
    seq,
    appendedAt: Number(member.slice(first + 1, second)),
    command: { ...command, seq },
  };
}
