import { Inject, Injectable } from '@nestjs/common';
import {
  agencySettingsSchema,
  type AgencySettings,
  type EscalationAlertRole,
  type IncidentPriority,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { CLOCK, type Clock } from '@gad/platform';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { AgencySettingsRepository } from './agency-settings.repository';
import { ladderFor, type Ladder } from './escalation-ladder';

/** How long a replica trusts its in-memory copy (another replica may have stored a newer one). */
export const AGENCY_SETTINGS_CACHE_MS = 30_000;

/** A priority's ladder as the escalation uses it: delays and whom the acceptance step alerts. */
export interface AgencyLadder extends Ladder {
  alertRoles: readonly EscalationAlertRole[];
}

interface Cached {
  settings: AgencySettings | undefined;
  expiresAt: number;
}

/**
 * Each agency's settings as notification-service follows them: stored from `agency.settings_changed`
 * (`notify.agency_settings`, newest version wins) and cached per replica for
 * {@link AGENCY_SETTINGS_CACHE_MS}. The escalation reads the agency's ladder per priority (the
 * deployment's `ESCALATION_P*_*_MS` for a priority the agency left `null`, or an agency never heard
 * of); channels read {@link allowedWebhookHosts}.
 */
@Injectable()
export class AgencySettingsCache {
  private readonly logger = createLogger('agency-settings');
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly repository: AgencySettingsRepository,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Stores the settings of an `agency.settings_changed` event (older versions are ignored). */
  async apply(
    agencyId: string,
    version: number,
    settings: AgencySettings,
    at: Date,
  ): Promise<void> {
    const stored = await this.repository.upsert(agencyId, version, settings, at);
    this.cache.delete(agencyId);
    if (stored) {
      this.logger.info({ agencyId, version }, 'agency settings followed');
    }
  }

  /** The agency's settings, or undefined when no event about it was seen yet. */
  async get(agencyId: string): Promise<AgencySettings | undefined> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(agencyId);
    if (hit && hit.expiresAt > now) {
      return hit.settings;
    }
    const row = await this.repository.find(agencyId);
    const parsed = row ? agencySettingsSchema.safeParse(row.settings) : undefined;
    const settings = parsed?.success ? parsed.data : undefined;
    this.cache.set(agencyId, { settings, expiresAt: now + AGENCY_SETTINGS_CACHE_MS });
    return settings;
  }

  /** The ladder of `priority` in `agencyId`: the agency's, else the deployment's default. */
  async ladderFor(agencyId: string, priority: IncidentPriority): Promise<AgencyLadder> {
    const own = (await this.get(agencyId))?.escalation[priority];
    if (own) {
      return { deliverMs: own.deliverMs, acceptMs: own.acceptMs, alertRoles: own.alertRoles };
    }
    return { ...ladderFor(this.config, priority), alertRoles: ['supervisor'] };
  }

  /** Host names the agency allows as webhook targets on private networks (none by default). */
  async allowedWebhookHosts(agencyId: string): Promise<readonly string[]> {
    return (await this.get(agencyId))?.allowedWebhookHosts ?? [];
  }
}
