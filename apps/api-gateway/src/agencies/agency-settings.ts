import {
  agencySettingsSchema,
  DEFAULT_AGENCY_SETTINGS,
  type AgencySettings,
  type UpdateAgencySettingsRequest,
} from '@gad/contracts';

/**
 * The settings of a stored agency: the defaults overlaid with what was stored. Stored documents
 * were validated on the way in; one that no longer parses (a schema change without a migration)
 * falls back to the defaults field by field rather than failing every read.
 */
export function settingsOf(stored: Record<string, unknown> | null | undefined): AgencySettings {
  const merged = {
    ...DEFAULT_AGENCY_SETTINGS,
    ...(stored ?? {}),
    escalation: {
      ...DEFAULT_AGENCY_SETTINGS.escalation,
      ...((stored?.['escalation'] as Record<string, unknown> | undefined) ?? {}),
    },
  };
  const parsed = agencySettingsSchema.safeParse(merged);
  if (parsed.success) {
    return parsed.data;
  }
  const result: Record<string, unknown> = { ...DEFAULT_AGENCY_SETTINGS };
  for (const key of Object.keys(DEFAULT_AGENCY_SETTINGS) as (keyof AgencySettings)[]) {
    const field = agencySettingsSchema.shape[key].safeParse(merged[key]);
    if (field.success) {
      result[key] = field.data;
    }
  }
  return result as AgencySettings;
}

/** `current` with the change applied (`escalation` per priority) and the top-level keys changed. */
export function applySettingsChange(
  current: AgencySettings,
  change: UpdateAgencySettingsRequest,
): { settings: AgencySettings; changed: (keyof AgencySettings)[] } {
  const next: AgencySettings = {
    ...current,
    ...(change.timeZone !== undefined ? { timeZone: change.timeZone } : {}),
    ...(change.locale !== undefined ? { locale: change.locale } : {}),
    ...(change.nearestMaxPositionAgeS !== undefined
      ? { nearestMaxPositionAgeS: change.nearestMaxPositionAgeS }
      : {}),
    ...(change.retentionDays !== undefined ? { retentionDays: change.retentionDays } : {}),
    ...(change.allowedWebhookHosts !== undefined
      ? { allowedWebhookHosts: change.allowedWebhookHosts }
      : {}),
    ...(change.mfaRequiredRoles !== undefined ? { mfaRequiredRoles: change.mfaRequiredRoles } : {}),
    ...(change.responseTargetsS !== undefined ? { responseTargetsS: change.responseTargetsS } : {}),
    ...(change.dispositionCodes !== undefined ? { dispositionCodes: change.dispositionCodes } : {}),
    ...(change.callDuplicateWindowS !== undefined
      ? { callDuplicateWindowS: change.callDuplicateWindowS }
      : {}),
    ...(change.callDuplicateDistanceM !== undefined
      ? { callDuplicateDistanceM: change.callDuplicateDistanceM }
      : {}),
    escalation: { ...current.escalation, ...(change.escalation ?? {}) },
  };
  const settings = agencySettingsSchema.parse(next);
  const changed = (Object.keys(settings) as (keyof AgencySettings)[]).filter(
    (key) => JSON.stringify(settings[key]) !== JSON.stringify(current[key]),
  );
  return { settings, changed };
}
