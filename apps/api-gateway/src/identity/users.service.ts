import { Inject, Injectable } from '@nestjs/common';
import { describeChange } from '@gad/audit';
import { UnitOfWork, type UnitOfWorkTx } from '@gad/bus';
import {
  uuidv7,
  type AccessClaims,
  type Actor,
  type Agency,
  type ChangePasswordRequest,
  type CreateUserRequest,
  type ListUsersQuery,
  type Role,
  type UpdateAgencyRequest,
  type UpdateUserRequest,
  type User,
  type UserList,
} from '@gad/contracts';
import { IDENTITY_CLOCK, type Clock, type RevocationReason } from './identity.constants';
import { IdentityException } from './identity.exception';
import { AgenciesRepository } from './agencies.repository';
import { PasswordService } from './password.service';
import { LoginThrottle } from './login-throttle.service';
import { SessionRevocations } from './session-revocations.service';
import { emitUserChanged } from './user-events';
import { toAgency, toUser } from './users.mapper';
import { UsersRepository, uniqueViolation, type UserRow } from './users.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const actorOf = (user: AccessClaims): Actor => ({
  kind: 'user',
  id: user.sub,
  roles: user.roles,
});

/** Users and the agency of the caller: every query is scoped by the caller's agency. */
@Injectable()
export class UsersService {
  constructor(
    private readonly agencies: AgenciesRepository,
    private readonly users: UsersRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly passwords: PasswordService,
    private readonly revocations: SessionRevocations,
    private readonly throttle: LoginThrottle,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
  ) {}

  async me(caller: AccessClaims): Promise<User> {
    return toUser(await this.row(caller.agencyId, caller.sub));
  }

  async agency(caller: AccessClaims): Promise<Agency> {
    const row = await this.agencies.find(caller.agencyId);
    if (!row) {
      throw IdentityException.agencyNotFound();
    }
    return toAgency(row);
  }

  async renameAgency(caller: AccessClaims, request: UpdateAgencyRequest): Promise<Agency> {
    const now = this.clock.now();
    // The rename and its entry (old and new name) commit together (docs/adr/0021).
    const row = await this.unitOfWork.run(async (tx) => {
      const before = await this.agencies.lock(tx.client, caller.agencyId);
      if (!before) {
        throw IdentityException.agencyNotFound();
      }
      const after = await this.agencies.rename(caller.agencyId, request.name, now, tx.client);
      describeChange(
        { before: toAgency(before), after: toAgency(after ?? before) },
        caller.agencyId,
      );
      return after ?? before;
    });
    return toAgency(row);
  }

  async list(caller: AccessClaims, query: ListUsersQuery): Promise<UserList> {
    const rows = await this.users.list(caller.agencyId, {
      limit: query.limit + 1,
      after: query.cursor,
      status: query.status,
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(toUser),
      nextCursor: rows.length > query.limit ? (page[page.length - 1]?.username ?? null) : null,
    };
  }

  async get(caller: AccessClaims, id: string): Promise<User> {
    return toUser(await this.row(caller.agencyId, id));
  }

  async create(caller: AccessClaims, request: CreateUserRequest): Promise<User> {
    if (!(await this.agencies.find(caller.agencyId))) {
      throw IdentityException.agencyNotFound();
    }
    const passwordHash = await this.passwords.hash(request.password);
    const now = this.clock.now();
    try {
      return toUser(
        await this.unitOfWork.run(async (tx) => {
          const row = await this.users.insert(
            {
              id: uuidv7(),
              agencyId: caller.agencyId,
              username: request.username,
              email: request.email,
              displayName: request.displayName ?? null,
              locale: request.locale,
              roles: request.roles,
              passwordHash,
              now,
            },
            tx.client,
          );
          emitUserChanged(tx, actorOf(caller), row, now);
          return row;
        }),
      );
    } catch (error) {
      const taken = uniqueViolation(error);
      if (taken) {
        throw IdentityException.taken(taken);
      }
      throw error;
    }
  }

  async update(caller: AccessClaims, id: string, request: UpdateUserRequest): Promise<User> {
    const now = this.clock.now();
    try {
      const row = await this.unitOfWork.run(async (tx) => {
        const before = await this.users.lock(tx.client, caller.agencyId, id);
        const updated = await this.users.updateProfile(
          caller.agencyId,
          id,
          request,
          now,
          tx.client,
        );
        if (!updated) {
          throw IdentityException.userNotFound(id);
        }
        describeChange({ before: before && toUser(before), after: toUser(updated) }, id);
        emitUserChanged(tx, actorOf(caller), updated, now);
        return updated;
      });
      return toUser(row);
    } catch (error) {
      const taken = uniqueViolation(error);
      if (taken) {
        throw IdentityException.taken(taken);
      }
      throw error;
    }
  }

  async delete(caller: AccessClaims, id: string): Promise<void> {
    if (id === caller.sub) {
      throw IdentityException.selfModification('delete');
    }
    const now = this.clock.now();
    const revoked = await this.unitOfWork.run(async (tx) => {
      const before = await this.users.lock(tx.client, caller.agencyId, id);
      if (!before) {
        throw IdentityException.userNotFound(id);
      }
      describeChange({ before: toUser(before) }, id);
      emitUserChanged(tx, actorOf(caller), before, now, true);
      const sessions = await this.revocations.revokeInTransaction(tx, {
        agencyId: caller.agencyId,
        userId: id,
        reason: 'admin',
        actor: actorOf(caller),
        now,
      });
      await this.users.delete(tx.client, caller.agencyId, id);
      return sessions;
    });
    await this.revocations.denyList(revoked);
  }

  /** Replaces the roles and ends the user's sessions (their tokens carry the old roles). */
  async setRoles(caller: AccessClaims, id: string, roles: Role[]): Promise<User> {
    if (id === caller.sub && !roles.includes('admin')) {
      throw IdentityException.selfModification('remove the admin role from');
    }
    return this.changeWithRevocation(caller, id, 'role_changed', (tx, now) =>
      this.users.setRoles(tx.client, caller.agencyId, id, [...new Set(roles)], now),
    );
  }

  async setPassword(caller: AccessClaims, id: string, password: string): Promise<void> {
    const passwordHash = await this.passwords.hash(password);
    await this.changeWithRevocation(caller, id, 'admin', async (tx, now) => {
      await this.users.setPassword(tx.client, caller.agencyId, id, passwordHash, now);
      return undefined;
    });
  }

  async disable(caller: AccessClaims, id: string): Promise<User> {
    if (id === caller.sub) {
      throw IdentityException.selfModification('disable');
    }
    return this.changeWithRevocation(caller, id, 'disabled', (tx, now) =>
      this.users.setStatus(tx.client, caller.agencyId, id, 'disabled', 'admin', now),
    );
  }

  async enable(caller: AccessClaims, id: string): Promise<User> {
    return this.setActive(caller, id, 'disabled');
  }

  /** Lifts an admin lock and the failed-login throttle of the account. */
  async unlock(caller: AccessClaims, id: string): Promise<User> {
    const user = await this.setActive(caller, id, 'locked');
    await this.throttle.clear(id);
    return user;
  }

  /** The caller changes their own password; their other sessions end. */
  async changeOwnPassword(caller: AccessClaims, request: ChangePasswordRequest): Promise<void> {
    const row = await this.row(caller.agencyId, caller.sub);
    if (!(await this.passwords.verify(row.password_hash, request.currentPassword))) {
      throw IdentityException.currentPasswordIncorrect();
    }
    const passwordHash = await this.passwords.hash(request.newPassword);
    const now = this.clock.now();
    const revoked = await this.unitOfWork.run(async (tx) => {
      await this.users.setPassword(tx.client, caller.agencyId, caller.sub, passwordHash, now);
      return this.revocations.revokeInTransaction(tx, {
        agencyId: caller.agencyId,
        userId: caller.sub,
        reason: 'admin',
        actor: actorOf(caller),
        now,
        keepSessionId: caller.sid,
      });
    });
    await this.revocations.denyList(revoked);
  }

  private async setActive(
    caller: AccessClaims,
    id: string,
    from: 'locked' | 'disabled',
  ): Promise<User> {
    const now = this.clock.now();
    return toUser(
      await this.unitOfWork.run(async (tx) => {
        const row = await this.users.lock(tx.client, caller.agencyId, id);
        if (!row) {
          throw IdentityException.userNotFound(id);
        }
        if (row.status !== from) {
          return row;
        }
        const active = await this.users.setStatus(
          tx.client,
          caller.agencyId,
          id,
          'active',
          null,
          now,
        );
        describeChange({ before: toUser(row), after: toUser(active) }, id);
        emitUserChanged(tx, actorOf(caller), active, now);
        return active;
      }),
    );
  }

  private async changeWithRevocation<T extends UserRow | undefined>(
    caller: AccessClaims,
    id: string,
    reason: RevocationReason,
    change: (tx: UnitOfWorkTx, now: Date) => Promise<T>,
  ): Promise<User> {
    const now = this.clock.now();
    const { row, revoked } = await this.unitOfWork.run(async (tx) => {
      const before = await this.users.lock(tx.client, caller.agencyId, id);
      if (!before) {
        throw IdentityException.userNotFound(id);
      }
      const after = (await change(tx, now)) ?? before;
      // Before and after images in the entry that commits with the change (docs/adr/0021).
      describeChange({ before: toUser(before), after: toUser(after) }, id);
      emitUserChanged(tx, actorOf(caller), after, now);
      const sessions = await this.revocations.revokeInTransaction(tx, {
        agencyId: caller.agencyId,
        userId: id,
        reason,
        actor: actorOf(caller),
        now,
      });
      return { row: after, revoked: sessions };
    });
    await this.revocations.denyList(revoked);
    return toUser(row);
  }

  private async row(agencyId: string, id: string): Promise<UserRow> {
    const row = UUID.test(id) ? await this.users.find(agencyId, id) : undefined;
    if (!row) {
      throw IdentityException.userNotFound(id);
    }
    return row;
  }
}
