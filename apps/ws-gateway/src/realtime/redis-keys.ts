import { commandChannelOf, commandLogKeys } from '@gad/contracts';

/**
 * Redis keys of ws-gateway (all under `REDIS_KEY_PREFIX`). The `{...}` hash tags keep the keys one
 * Lua script touches in one Cluster slot.
 */
export class WsRedisKeys {
  constructor(private readonly prefix: string) {}

  /**
   * ZSET of a user's open sockets (member `<instance>|<namespace>|<socketId>`, score = the socket's
   * token expiry ms).
   */
  userSockets(agencyId: string, userId: string): string {
    return `${this.prefix}gad:ws:sockets:{${agencyId}:${userId}}`;
  }

  /** ZSET of gateway instances (score = heartbeat expiry ms; past = dead, kept for a while). */
  instances(): string {
    return `${this.prefix}gad:ws:instances`;
  }

  /**
   * The command log of one recipient: sequence counter, entries (ZSET by seq), commandId → seq
   * (written by notification-service's relay, docs/adr/0020).
   */
  commandLog(
    agencyId: string,
    kind: string,
    id: string,
  ): { seq: string; log: string; ids: string } {
    return commandLogKeys(this.prefix, agencyId, kind, id);
  }

  /** Pub/sub channel of appended commands (`<room>|<seq>|<json>`), published by the relay. */
  commandChannel(): string {
    return commandChannelOf(this.prefix);
  }

  /** Agency that owns an incident or zone, learnt from the event streams. */
  owner(kind: 'incident' | 'zone', id: string): string {
    return `${this.prefix}gad:ws:owner:${kind}:${id}`;
  }
}
