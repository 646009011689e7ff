import { Inject, Injectable, Optional } from '@nestjs/common';
import { OutboxRelay, UnitOfWork, type UnitOfWorkTx } from '@gad/bus';
import {
  createEnvelope,
  EventTypes,
  Streams,
  type Actor,
  type UserSessionsRevokedV1,
} from '@gad/contracts';
import { currentTraceparent, createLogger } from '@gad/observability';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import {
  revokedSessionKey,
  revokedSessionsChannel,
  SessionDenyList,
} from '../auth/session-deny-list';
import type { RevocationReason } from './identity.constants';
import { SessionsRepository } from './sessions.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export { revokedSessionKey };

/**
 * Ends sessions: revokes them in PostgreSQL with a `user.sessions_revoked` event in the same
 * transaction (ws-gateway disconnects the sockets), then deny-lists their ids in Redis for the
 * lifetime of an access token and publishes their ids, so the access tokens already issued stop
 * working at once on every instance ({@link SessionDenyList}, docs/adr/0035). The guard asks
 * PostgreSQL when Redis does not answer.
 */
@Injectable()
export class SessionRevocations {
  private readonly logger = createLogger('session-revocations');

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly sessions: SessionsRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly relay: OutboxRelay,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
    /** This instance's view of the deny-list (absent in the platform CLI). */
    @Optional() private readonly denied?: SessionDenyList,
  ) {}

  /**
   * Inside `tx`: revokes one session (`sessionId`) or every session of the user, and appends the
   * event. Returns the revoked ids; call {@link denyList} with them after the commit.
   */
  async revokeInTransaction(
    tx: UnitOfWorkTx,
    input: {
      agencyId: string;
      userId: string;
      reason: RevocationReason;
      actor: Actor;
      now: Date;
      sessionId?: string;
      keepSessionId?: string;
    },
  ): Promise<string[]> {
    // Development tokens name users that have no row (and no session) at all.
    const revoked = !UUID.test(input.userId)
      ? []
      : input.sessionId
        ? (await this.sessions.revoke(
            tx.client,
            input.agencyId,
            input.sessionId,
            input.reason,
            input.now,
          ))
          ? [input.sessionId]
          : []
        : await this.sessions.revokeOfUser(
            tx.client,
            input.agencyId,
            input.userId,
            input.reason,
            input.now,
            input.keepSessionId,
          );
    const data: UserSessionsRevokedV1 = {
      userId: input.userId,
      ...(input.sessionId ? { sessionId: input.sessionId } : {}),
      reason: input.reason,
      revokedAt: input.now.toISOString(),
    };
    // Published even when no refresh session was live: sockets may hold development tokens.
    if (!input.keepSessionId || revoked.length > 0) {
      tx.emit(Streams.DispatchEvents, [
        createEnvelope({
          type: EventTypes.UserSessionsRevoked,
          agencyId: input.agencyId,
          actor: input.actor,
          traceparent: currentTraceparent(),
          data,
          occurredAt: input.now,
        }),
      ]);
    }
    return revoked;
  }

  /** After the commit: deny-list the access tokens of the revoked sessions and relay the event. */
  async denyList(sessionIds: readonly string[]): Promise<void> {
    this.relay.nudge();
    if (sessionIds.length === 0) {
      return;
    }
    // This instance refuses them before it answers, whatever Redis does.
    this.denied?.markRevoked(sessionIds);
    try {
      const pipeline = this.redis.pipeline();
      for (const sessionId of sessionIds) {
        pipeline.set(revokedSessionKey(sessionId), '1', 'EX', this.config.JWT_ACCESS_TTL_SECONDS);
      }
      // After the keys: an instance that hears the message and then asks Redis finds them.
      pipeline.publish(revokedSessionsChannel(this.redis), sessionIds.join(','));
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) {
        throw failed[0];
      }
    } catch (error) {
      // The guard still consults PostgreSQL whenever Redis fails; log for the SRE.
      this.logger.warn(
        { error: (error as Error).message },
        'revoked sessions not deny-listed in redis',
      );
    }
  }

  /**
   * Whether the session of an access token has been revoked, from PostgreSQL (while Redis does not
   * answer; the guard reads the deny-list through {@link SessionDenyList}).
   */
  isRevokedInDatabase(agencyId: string, sessionId: string): Promise<boolean> {
    return this.sessions.isRevoked(agencyId, sessionId);
  }

  /** Revokes in its own transaction and deny-lists (logout, token reuse, admin actions). */
  async revoke(input: Parameters<SessionRevocations['revokeInTransaction']>[1]): Promise<string[]> {
    const revoked = await this.unitOfWork.run((tx) => this.revokeInTransaction(tx, input));
    await this.denyList(revoked);
    return revoked;
  }
}
