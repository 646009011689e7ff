import { Injectable } from '@nestjs/common';
import type { NotifyRecipientUpsertRequest, UserChangedV1 } from '@gad/contracts';
import { defaultRecipient, type Recipient } from './recipient';
import { RecipientsRepository } from './recipients.repository';
import { UnitStatusesRepository } from './unit-statuses.repository';

export type SkipReason = 'off_duty' | 'unit_off_duty' | 'logged_out' | 'disabled';

export interface CrewResolution {
  /** Crew members who get the command. */
  pageable: Recipient[];
  skipped: { userId: string; reason: SkipReason }[];
}

/** Roles that receive incident and geofence notices. */
export const NOTICE_ROLES = ['dispatcher', 'supervisor'] as const;

/** Who receives what: crews of units, roles of an agency, duty and login state. */
@Injectable()
export class RecipientsService {
  constructor(
    private readonly repository: RecipientsRepository,
    private readonly unitStatuses: UnitStatusesRepository,
  ) {}

  /**
   * The on-duty, logged-in members of a unit's crew (`allCall` also pages those off duty). A unit
   * whose last status is `off_duty` pages nobody (except on an all-call).
   */
  async resolveCrew(
    agencyId: string,
    unitId: string,
    crew: readonly string[],
    allCall = false,
  ): Promise<CrewResolution> {
    const unique = [...new Set(crew)];
    const { profiles, unitStatus } = await this.repository.findCrew(agencyId, unitId, unique);
    const byId = new Map(profiles.map((p) => [p.userId, p]));
    const resolution: CrewResolution = { pageable: [], skipped: [] };
    for (const userId of unique) {
      const recipient = byId.get(userId) ?? defaultRecipient(agencyId, userId);
      if (!recipient.accountActive) {
        resolution.skipped.push({ userId, reason: 'disabled' });
      } else if (recipient.loggedOut) {
        resolution.skipped.push({ userId, reason: 'logged_out' });
      } else if (!allCall && unitStatus === 'off_duty') {
        resolution.skipped.push({ userId, reason: 'unit_off_duty' });
      } else if (!allCall && !recipient.onDuty) {
        resolution.skipped.push({ userId, reason: 'off_duty' });
      } else {
        resolution.pageable.push(recipient);
      }
    }
    return resolution;
  }

  /** Stored profiles of some users, by id (users without one are absent). */
  async profiles(agencyId: string, userIds: readonly string[]): Promise<Map<string, Recipient>> {
    const found = await this.repository.findMany(agencyId, [...new Set(userIds)]);
    return new Map(found.map((r) => [r.userId, r]));
  }

  /** On-duty users of an agency holding one of `roles`. */
  async onDutyWithRoles(agencyId: string, roles: readonly string[]): Promise<Recipient[]> {
    const found = await this.repository.findByRoles(agencyId, roles);
    return found.filter((r) => r.onDuty);
  }

  upsert(input: NotifyRecipientUpsertRequest): Promise<void> {
    return this.repository.upsert(input);
  }

  /** `user.changed`: roles, locale and account state follow the user; a deleted user is forgotten. */
  async followUser(agencyId: string, user: UserChangedV1): Promise<void> {
    if (user.status === 'deleted') {
      await this.repository.forgetUser(agencyId, user.userId);
      return;
    }
    await this.repository.followUser({
      agencyId,
      userId: user.userId,
      roles: user.roles,
      locale: user.locale,
      active: user.status !== 'disabled',
      changedAt: new Date(user.changedAt),
    });
  }

  loggedOut(agencyId: string, userId: string, at: Date): Promise<void> {
    return this.repository.markLoggedOut(agencyId, userId, at);
  }

  unitStatus(agencyId: string, unitId: string, status: string, at: Date): Promise<void> {
    return this.unitStatuses.setUnitStatus(agencyId, unitId, status, at);
  }
}
