import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder, type AuditRecordInput } from '@gad/audit';
import { UnitOfWork, type UnitOfWorkTx } from '@gad/bus';
import {
  createEnvelope,
  DEFAULT_AGENCY_SETTINGS,
  EventTypes,
  PLATFORM_AGENCY_ID,
  Streams,
  uuidv7,
  type Actor,
  type AgencySettings,
  type AgencySettingsChangedV1,
  type AgencySettingsResponse,
  type CreateAgencyAdminRequest,
  type CreateAgencyRequest,
  type CreatedAgencyAdmin,
  type ListPlatformAgenciesQuery,
  type PlatformAgency,
  type PlatformAgencyList,
  type UpdateAgencySettingsRequest,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import { AgenciesRepository, type AgencyRow } from '../identity/agencies.repository';
import { IDENTITY_CLOCK, type Clock } from '../identity/identity.constants';
import { IdentityException } from '../identity/identity.exception';
import { PasswordService } from '../identity/password.service';
import { PasswordSetupTokensRepository } from '../identity/password-setup-tokens.repository';
import { SessionRevocations } from '../identity/session-revocations.service';
import { emitUserChanged } from '../identity/user-events';
import { toUser } from '../identity/users.mapper';
import { UsersRepository, uniqueViolation } from '../identity/users.repository';
import { applySettingsChange, settingsOf } from './agency-settings';
import { AgencyException } from './agencies.exception';
import { toPlatformAgency, toSettingsResponse } from './agencies.mapper';

/** How long a set-password token of a new admin stays valid. */
export const SET_PASSWORD_TOKEN_TTL_MS = 72 * 3600 * 1000;

/** Audit actions of the platform operators (beside the shared `AuditActions`). */
export const PlatformAuditActions = {
  AgencyCreated: 'agency.create',
  AgencySuspended: 'agency.suspend',
  AgencyReactivated: 'agency.reactivate',
  AgencySettingsChanged: 'agency.settings_change',
  AgencyAdminCreated: 'agency.admin_create',
  PasswordSetWithToken: 'user.password_set_with_token',
} as const;

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** Where a request came from (HTTP) or which tool ran (CLI), for the audit trail. */
export type AuditMeta = Pick<AuditRecordInput, 'source' | 'traceId'>;

/**
 * Agencies as the platform operators manage them (create, suspend, reactivate, configure, create
 * an admin), and an agency's settings as its admin changes them. Used by the REST controllers and
 * by the `platform` CLI. Every change is audited twice: in the agency's own chain (so the agency
 * sees what the platform did) and in the platform chain (`_platform`). Nothing here reads agency
 * data beyond the agency row and the ids of its users (to end their sessions on suspension).
 */
@Injectable()
export class AgenciesService {
  constructor(
    private readonly agencies: AgenciesRepository,
    private readonly users: UsersRepository,
    private readonly setupTokens: PasswordSetupTokensRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly passwords: PasswordService,
    private readonly revocations: SessionRevocations,
    private readonly audit: AuditRecorder,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
  ) {}

  async list(query: ListPlatformAgenciesQuery): Promise<PlatformAgencyList> {
    const limit = query.limit ?? 50;
    const rows = await this.agencies.list({
      limit: limit + 1,
      ...(query.cursor ? { after: query.cursor } : {}),
      ...(query.status ? { status: query.status } : {}),
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(toPlatformAgency),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }

  async get(id: string): Promise<PlatformAgency> {
    return toPlatformAgency(await this.row(id));
  }

  /** Creates an agency with the default settings overlaid by `request.settings`. */
  async create(
    actor: Actor,
    request: CreateAgencyRequest,
    meta: AuditMeta = {},
  ): Promise<PlatformAgency> {
    const now = this.clock.now();
    const { settings } = request.settings
      ? applySettingsChange(DEFAULT_AGENCY_SETTINGS, request.settings)
      : { settings: DEFAULT_AGENCY_SETTINGS };
    const row = await this.unitOfWork.run(async (tx) => {
      const created = await this.agencies.create(tx.client, {
        id: request.id,
        name: request.name,
        settings,
        now,
      });
      if (!created) {
        throw AgencyException.taken(request.id);
      }
      this.emitSettings(tx, actor, created, Object.keys(settings), now);
      return created;
    });
    this.record(actor, meta, row.id, PlatformAuditActions.AgencyCreated, {
      after: { name: row.name, settings },
    });
    return toPlatformAgency(row);
  }

  /**
   * Suspends an agency: its users can no longer log in or refresh, and every session of every user
   * ends now (`user.sessions_revoked` per user, so ws-gateway disconnects their sockets; their
   * access tokens are deny-listed).
   */
  async suspend(
    actor: Actor,
    id: string,
    reason: string,
    meta: AuditMeta = {},
  ): Promise<PlatformAgency> {
    const now = this.clock.now();
    const { row, revoked } = await this.unitOfWork.run(async (tx) => {
      const current = await this.agencies.lock(tx.client, id);
      if (!current) {
        throw AgencyException.notFound(id);
      }
      const updated = await this.agencies.setStatus(tx.client, id, 'suspended', reason, now);
      const sessions: string[] = [];
      for (const userId of await this.agencies.userIds(tx.client, id)) {
        sessions.push(
          ...(await this.revocations.revokeInTransaction(tx, {
            agencyId: id,
            userId,
            reason: 'disabled',
            actor,
            now,
          })),
        );
      }
      return { row: updated, revoked: sessions };
    });
    await this.revocations.denyList(revoked);
    this.record(actor, meta, id, PlatformAuditActions.AgencySuspended, undefined, reason, {
      sessionsRevoked: revoked.length,
    });
    return toPlatformAgency(row);
  }

  async reactivate(actor: Actor, id: string, meta: AuditMeta = {}): Promise<PlatformAgency> {
    const now = this.clock.now();
    const row = await this.unitOfWork.run(async (tx) => {
      if (!(await this.agencies.lock(tx.client, id))) {
        throw AgencyException.notFound(id);
      }
      return this.agencies.setStatus(tx.client, id, 'active', null, now);
    });
    this.record(actor, meta, id, PlatformAuditActions.AgencyReactivated);
    return toPlatformAgency(row);
  }

  async settings(id: string): Promise<AgencySettingsResponse> {
    return toSettingsResponse(await this.row(id));
  }

  /** The settings of an agency, for the services that follow them (nearest staleness). */
  async settingsValue(id: string): Promise<AgencySettings | undefined> {
    const row = await this.agencies.find(id);
    return row ? settingsOf(row.settings) : undefined;
  }

  /**
   * Changes an agency's settings under `If-Match` (428 without, 412 when stale) and emits
   * `agency.settings_changed` with the complete settings in the same transaction.
   */
  async updateSettings(
    actor: Actor,
    id: string,
    ifMatch: string | undefined,
    change: UpdateAgencySettingsRequest,
    meta: AuditMeta = {},
  ): Promise<AgencySettingsResponse> {
    if (!ifMatch) {
      throw AgencyException.preconditionRequired();
    }
    const now = this.clock.now();
    const outcome = await this.unitOfWork.run(async (tx) => {
      const current = await this.agencies.lock(tx.client, id);
      if (!current) {
        throw AgencyException.notFound(id);
      }
      if (!ifMatchAccepts(ifMatch, current.settings_version)) {
        throw AgencyException.versionMismatch(current.settings_version);
      }
      const before = settingsOf(current.settings);
      const { settings, changed } = applySettingsChange(before, change);
      if (changed.length === 0) {
        return { row: current, before, changed };
      }
      const updated = await this.agencies.setSettings(tx.client, id, settings, now);
      this.emitSettings(tx, actor, updated, changed, now);
      // A configuration change: its entry commits with it (docs/adr/0021).
      this.record(actor, meta, id, PlatformAuditActions.AgencySettingsChanged, {
        before: pick(before, changed),
        after: pick(settingsOf(updated.settings), changed),
      });
      return { row: updated, before, changed };
    });
    return toSettingsResponse(outcome.row);
  }

  /**
   * Creates an administrator of an agency (any number: the first or the next) with no usable
   * password, and a one-time set-password token valid for 72 hours. Only the token's digest is
   * stored; the token is answered once.
   */
  async createAdmin(
    actor: Actor,
    agencyId: string,
    request: CreateAgencyAdminRequest,
    meta: AuditMeta = {},
  ): Promise<CreatedAgencyAdmin> {
    if (!(await this.agencies.find(agencyId))) {
      throw AgencyException.notFound(agencyId);
    }
    const now = this.clock.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + SET_PASSWORD_TOKEN_TTL_MS);
    // Nobody knows this password: the admin sets theirs with the token.
    const passwordHash = await this.passwords.hash(randomBytes(32).toString('base64url'));
    try {
      const row = await this.unitOfWork.run(async (tx) => {
        const user = await this.users.insert(
          {
            id: uuidv7(),
            agencyId,
            username: request.username,
            email: request.email,
            displayName: request.displayName ?? null,
            locale: 'es',
            roles: ['admin'],
            passwordHash,
            now,
          },
          tx.client,
        );
        await this.setupTokens.insert(tx.client, {
          hash: digest(token),
          agencyId,
          userId: user.id,
          now,
          expiresAt,
        });
        emitUserChanged(tx, actor, user, now);
        return user;
      });
      this.record(actor, meta, agencyId, PlatformAuditActions.AgencyAdminCreated, {
        after: { userId: row.id, username: row.username, roles: row.roles },
      });
      return {
        user: toUser(row),
        setPasswordToken: token,
        setPasswordExpiresAt: expiresAt.toISOString(),
      };
    } catch (error) {
      const taken = uniqueViolation(error);
      if (taken) {
        throw IdentityException.taken(taken);
      }
      throw error;
    }
  }

  /** Spends a set-password token: the user's password becomes `password`; their sessions end. */
  async setPasswordWithToken(token: string, password: string, meta: AuditMeta = {}): Promise<void> {
    const passwordHash = await this.passwords.hash(password);
    const now = this.clock.now();
    const { owner, revoked } = await this.unitOfWork.run(async (tx) => {
      const spent = await this.setupTokens.spend(tx.client, digest(token), now);
      if (!spent) {
        throw AgencyException.setPasswordTokenInvalid();
      }
      await this.users.setPassword(tx.client, spent.agency_id, spent.user_id, passwordHash, now);
      const sessions = await this.revocations.revokeInTransaction(tx, {
        agencyId: spent.agency_id,
        userId: spent.user_id,
        reason: 'admin',
        actor: { kind: 'user', id: spent.user_id },
        now,
      });
      return { owner: spent, revoked: sessions };
    });
    await this.revocations.denyList(revoked);
    this.audit.record({
      ...meta,
      agencyId: owner.agency_id,
      actor: { kind: 'user', id: owner.user_id },
      action: PlatformAuditActions.PasswordSetWithToken,
      outcome: 'success',
      object: { type: 'user', id: owner.user_id },
    });
  }

  private async row(id: string): Promise<AgencyRow> {
    const row = await this.agencies.find(id);
    if (!row) {
      throw AgencyException.notFound(id);
    }
    return row;
  }

  private emitSettings(
    tx: UnitOfWorkTx,
    actor: Actor,
    row: AgencyRow,
    changed: string[],
    now: Date,
  ): void {
    const data: AgencySettingsChangedV1 = {
      version: row.settings_version,
      settings: settingsOf(row.settings),
      changed,
      changedAt: now.toISOString(),
    };
    tx.emit(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.AgencySettingsChanged,
        agencyId: row.id,
        actor,
        traceparent: currentTraceparent(),
        data,
        occurredAt: now,
      }),
    );
  }

  /** One entry in the agency's chain and, for a platform operator, one in the platform chain. */
  private record(
    actor: Actor,
    meta: AuditMeta,
    agencyId: string,
    action: string,
    changes?: AuditRecordInput['changes'],
    reason?: string,
    details?: Record<string, unknown>,
  ): void {
    const entry = {
      ...meta,
      actor,
      action,
      outcome: 'success' as const,
      object: { type: 'agency', id: agencyId },
      ...(changes ? { changes } : {}),
      ...(reason ? { reason } : {}),
      ...(details ? { details } : {}),
    };
    this.audit.record({ ...entry, agencyId });
    if (actor.roles?.includes('platform-admin') || actor.kind === 'system') {
      this.audit.record({ ...entry, agencyId: PLATFORM_AGENCY_ID });
    }
  }
}

/** `If-Match` lists, weak tags and `*` accept the current version only. */
export function ifMatchAccepts(header: string, version: number): boolean {
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === `"${version}"`);
}

function pick(
  settings: AgencySettings,
  keys: readonly (keyof AgencySettings)[],
): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, settings[key]]));
}
