import {
  COMMAND_LOG_APPEND_SCRIPT,
  commandAppendCall,
  type CommandIssuedV1,
  type CommandLogRetention,
  type Envelope,
} from '@gad/contracts';
import type { Redis } from 'ioredis';

const APPEND_AND_PUBLISH = 'gadCommandAppendPublish';
type AppendAndPublish = (...args: (string | number)[]) => Promise<unknown>;

export interface CommandRelayOptions extends CommandLogRetention {
  /** Key prefix (`REDIS_KEY_PREFIX`); the log keys and the channel live under it. */
  prefix?: string;
}

export interface RelayedCommand {
  commandId: string;
  seq: number;
  /** False when the command was in the log already (a retried relay: nothing published). */
  inserted: boolean;
}

/**
 * The producer's half of the command path (docs/adr/0020): one atomic Redis call per command
 * appends it to its recipient's log with the next seq and publishes it to every ws-gateway
 * instance (`COMMAND_LOG_APPEND_SCRIPT` of `@gad/contracts`), idempotent by commandId. The calls
 * of one batch go out in order on one connection (one recipient's keys live on one node), so one
 * recipient's commands get seqs in the order given. The envelope's `traceparent` travels with
 * the command, so the device can return it on its ack.
 */
export class CommandRelay {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: CommandRelayOptions,
  ) {
    this.prefix = options.prefix ?? '';
    // EVALSHA with a fall-back to EVAL: the script body is not sent with every command.
    if (!(APPEND_AND_PUBLISH in redis)) {
      redis.defineCommand(APPEND_AND_PUBLISH, { numberOfKeys: 3, lua: COMMAND_LOG_APPEND_SCRIPT });
    }
  }

  /**
   * Appends and publishes each command (in order); resolves with their seqs. Throws (before any
   * Redis call) for a recipient id that names no room; nothing of the batch is sent then.
   */
  async relay(
    envelopes: ReadonlyArray<Envelope<CommandIssuedV1>>,
    now = Date.now(),
  ): Promise<RelayedCommand[]> {
    const append = (this.redis as unknown as Record<string, AppendAndPublish>)[APPEND_AND_PUBLISH];
    const calls = envelopes.map((envelope) =>
      commandAppendCall(this.prefix, envelope, now, this.options),
    );
    return Promise.all(
      calls.map(async ({ keys, args }, index) => {
        const result = (await append.call(this.redis, ...keys, ...args)) as [number, number];
        return {
          commandId: envelopes[index].data.commandId,
          seq: Number(result[0]),
          inserted: Number(result[1]) === 1,
        };
      }),
    );
  }
}
