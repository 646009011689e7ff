import { Inject, Injectable } from '@nestjs/common';
import type { AccessClaims, SessionList } from '@gad/contracts';
import { IDENTITY_CLOCK, type Clock } from './identity.constants';
import { IdentityException } from './identity.exception';
import { SessionRevocations } from './session-revocations.service';
import { SessionsRepository } from './sessions.repository';
import { actorOf } from './users.service';
import { UsersRepository } from './users.repository';

/** Development tokens name users that have no row (their ids are not UUIDs). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user's live sessions: listed and ended by the user, or all ended by an admin. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly revocations: SessionRevocations,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
  ) {}

  async listMine(caller: AccessClaims): Promise<SessionList> {
    if (!UUID.test(caller.sub)) {
      return { items: [] };
    }
    const rows = await this.sessions.listLive(caller.agencyId, caller.sub, this.clock.now());
    return {
      items: rows.map((row) => ({
        id: row.id,
        authenticatedAt: row.authenticated_at.toISOString(),
        lastUsedAt: row.last_used_at.toISOString(),
        expiresAt: row.expires_at.toISOString(),
        ip: row.ip,
        userAgent: row.user_agent,
        amr: row.amr,
        current: row.id === caller.sid,
      })),
    };
  }

  /** Ends one of the caller's own sessions (404 for anyone else's). */
  async endMine(caller: AccessClaims, sessionId: string): Promise<void> {
    if ((await this.sessions.ownerOf(caller.agencyId, sessionId)) !== caller.sub) {
      throw IdentityException.sessionNotFound(sessionId);
    }
    await this.revocations.revoke({
      agencyId: caller.agencyId,
      userId: caller.sub,
      sessionId,
      reason: 'logout',
      actor: actorOf(caller),
      now: this.clock.now(),
    });
  }

  /** An admin ends every session of a user of their agency. */
  async endAllOf(caller: AccessClaims, userId: string): Promise<void> {
    if (!(await this.users.find(caller.agencyId, userId))) {
      throw IdentityException.userNotFound(userId);
    }
    await this.revocations.revoke({
      agencyId: caller.agencyId,
      userId,
      reason: 'admin',
      actor: actorOf(caller),
      now: this.clock.now(),
    });
  }
}
