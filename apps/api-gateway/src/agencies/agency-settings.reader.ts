import { Inject, Injectable } from '@nestjs/common';
import type { AgencySettings } from '@gad/contracts';
import { AgenciesRepository } from '../identity/agencies.repository';
import { IDENTITY_CLOCK, type Clock } from '../identity/identity.constants';
import { settingsOf } from './agency-settings';

/** How long a replica reuses an agency's settings before reading them again. */
export const AGENCY_SETTINGS_READ_CACHE_MS = 10_000;

/**
 * An agency's settings for the request paths that follow them (the nearest-unit staleness), read
 * from `dispatch.agencies` and kept per replica for {@link AGENCY_SETTINGS_READ_CACHE_MS}: a change
 * reaches every replica within that time.
 */
@Injectable()
export class AgencySettingsReader {
  private readonly cache = new Map<string, { settings: AgencySettings; expiresAt: number }>();

  constructor(
    private readonly agencies: AgenciesRepository,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
  ) {}

  async settings(agencyId: string): Promise<AgencySettings> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(agencyId);
    if (hit && hit.expiresAt > now) {
      return hit.settings;
    }
    // An agency without a row (development tokens) gets the defaults.
    const settings = settingsOf((await this.agencies.find(agencyId))?.settings);
    this.cache.set(agencyId, { settings, expiresAt: now + AGENCY_SETTINGS_READ_CACHE_MS });
    return settings;
  }

  /**
   * The staleness limit of nearest-unit queries that name none: the agency's
   * `nearestMaxPositionAgeS`, or undefined (geo-service's `NEAREST_MAX_POSITION_AGE_S` applies).
   */
  async nearestMaxAgeS(agencyId: string): Promise<number | undefined> {
    return (await this.settings(agencyId)).nearestMaxPositionAgeS ?? undefined;
  }
}
