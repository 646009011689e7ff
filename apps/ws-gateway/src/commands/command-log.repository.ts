import { Inject, Injectable } from '@nestjs/common';
import { COMMAND_LOG_FIND_SCRIPT } from '@gad/contracts';
import type { CommandIssuedV1, DeliveredCommand, Recipient } from '@gad/contracts';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WsRedisKeys } from '../realtime/redis-keys';

const FIND_COMMAND = 'gadWsFindCommand';
type FindCommand = (...args: string[]) => Promise<string | null>;

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

export const COMMAND_LOG_KEYS = Symbol('COMMAND_LOG_KEYS');

/**
 * The durable per-recipient command log in Redis, read side: notification-service's relay appends
 * (`CommandRelay` of `@gad/bus`, docs/adr/0020); the gateway replays it and checks acks against it.
 */
@Injectable()
export class CommandLogRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(COMMAND_LOG_KEYS) private readonly keys: WsRedisKeys,
  ) {
    // EVALSHA with a fall-back to EVAL: the script body is not sent with every command.
    redis.defineCommand(FIND_COMMAND, { numberOfKeys: 2, lua: COMMAND_LOG_FIND_SCRIPT });
  }

  /**
   * One command of a recipient's log (with its seq), or undefined when the log does not hold it
   * (never sent to that recipient, or dropped by retention). One call per log.
   */
  async find(
    agencyId: string,
    recipient: Recipient,
    commandId: string,
  ): Promise<LogEntry | undefined> {
    const keys = this.recipientKeys(agencyId, recipient);
    const find = (this.redis as unknown as Record<string, FindCommand>)[FIND_COMMAND];
    const member = await find.call(this.redis, keys.log, keys.ids, commandId);
    return member ? parseMember(member) : undefined;
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
