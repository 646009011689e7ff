import { z } from 'zod';
import { num, text, timestamp } from '../primitives/primitives.schema';
import { roleSchema } from './auth.schema';
import { localeSchema } from './users.schema';
import { dispositionCodeSchema } from './incidents.schema';

/** Dispositions of a new agency (how an incident ended). */
export const DEFAULT_DISPOSITION_CODES = [
  'resolved',
  'false_alarm',
  'unfounded',
  'transferred',
  'duplicate',
] as const;

const dispositionCodesSchema = z
  .array(dispositionCodeSchema)
  .min(1)
  .max(50)
  .refine((codes) => new Set(codes).size === codes.length, { message: 'codes must be unique' });
/** Seconds after an incident's creation in which a new call near it is a possible duplicate (0 = off). */
const callDuplicateWindowSchema = num().int().min(0).max(86_400);
/** Metres around an open incident in which a new call of its type is a possible duplicate. */
const callDuplicateDistanceSchema = num().int().min(1).max(50_000);

/** True when `value` names a time zone of the IANA database that this runtime knows. */
function isIanaTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone (`Europe/Madrid`, `UTC`). */
export const ianaTimeZoneSchema = text()
  .min(1)
  .max(64)
  .refine(isIanaTimeZone, { message: 'an IANA time zone such as Europe/Madrid' });

/** A DNS host name (lowercase, no port, no scheme, no trailing dot). */
export const hostNameSchema = text()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/,
    'a host name (example.org), without scheme, port or path',
  );

/** Who is alerted when a command is not accepted in time. */
export const escalationAlertRoleSchema = z.enum(['supervisor', 'dispatcher', 'admin']);
export type EscalationAlertRole = z.infer<typeof escalationAlertRoleSchema>;

/**
 * The escalation ladder of one priority. Step 1 (`deliverMs` after the command, 0 = no step): a
 * command not yet delivered is re-sent in-app and over Telegram to the crew. Step 2 (`acceptMs`,
 * 0 = no step): a command not accepted alerts the on-duty users with `alertRoles` (in-app and their
 * outside channels) and emits `assignment.unacknowledged` for the dispatchers.
 */
export const escalationLadderSchema = z.strictObject({
  deliverMs: num().int().min(0).max(3_600_000),
  acceptMs: num().int().min(0).max(86_400_000),
  alertRoles: z
    .array(escalationAlertRoleSchema)
    .min(1)
    .max(3)
    .refine((roles) => new Set(roles).size === roles.length, { message: 'roles must be unique' }),
});
export type EscalationLadder = z.infer<typeof escalationLadderSchema>;

/** One ladder per priority; `null` = the deployment's default (`ESCALATION_P*_*_MS`). */
export const escalationLaddersSchema = z.strictObject({
  P1: escalationLadderSchema.nullable(),
  P2: escalationLadderSchema.nullable(),
  P3: escalationLadderSchema.nullable(),
  P4: escalationLadderSchema.nullable(),
});
export type EscalationLadders = z.infer<typeof escalationLaddersSchema>;

const uniqueHosts = z
  .array(hostNameSchema)
  .max(50)
  .refine((hosts) => new Set(hosts).size === hosts.length, { message: 'hosts must be unique' });

/**
 * Response-time targets per priority (seconds from the first call, else the incident's creation,
 * to the first unit on scene): the figures report the share of incidents within them.
 */
export const responseTargetsSchema = z.strictObject({
  P1: num().int().min(1).max(86_400),
  P2: num().int().min(1).max(86_400),
  P3: num().int().min(1).max(86_400),
  P4: num().int().min(1).max(86_400),
});
export type ResponseTargets = z.infer<typeof responseTargetsSchema>;
export const DEFAULT_RESPONSE_TARGETS_S: ResponseTargets = { P1: 480, P2: 900, P3: 1_800, P4: 3_600 };

// At most every role once: the bound follows the role list (a new role, e.g. call_taker, can be named too).
const mfaRolesSchema = z
  .array(roleSchema)
  .max(roleSchema.options.length)
  .refine((roles) => new Set(roles).size === roles.length, { message: 'roles must be unique' });

/**
 * An agency's settings, all in one validated place (`dispatch.agencies.settings`). `null` values
 * fall back to the deployment's environment.
 */
export const agencySettingsSchema = z.strictObject({
  /** IANA time zone the agency works in (reports, notices, quiet hours). */
  timeZone: ianaTimeZoneSchema,
  /** Default locale of the agency's messages. */
  locale: localeSchema,
  /**
   * Nearest-unit staleness: positions older than this many seconds are not recommended when a
   * request names no `maxAgeS`. `null` = geo-service's `NEAREST_MAX_POSITION_AGE_S`.
   */
  nearestMaxPositionAgeS: num().int().min(1).max(86_400).nullable(),
  /** Escalation ladder per incident priority. */
  escalation: escalationLaddersSchema,
  /** Days of position history kept; `null` = the deployment's `POSITION_RETENTION_DAYS`. */
  retentionDays: num().int().min(1).max(3_650).nullable(),
  /**
   * Host names the agency allows as webhook targets even when they resolve to private-network
   * addresses (every other private, loopback or link-local target is refused).
   */
  allowedWebhookHosts: uniqueHosts,
  /**
   * Roles whose users must use a second factor (TOTP): they log in with a code, and until they
   * have enrolled their tokens reach only the enrolment (docs/adr/0023). Empty = MFA is optional.
   */
  mfaRequiredRoles: mfaRolesSchema.default([]),
  /** Response-time target per priority (reports). */
  responseTargetsS: responseTargetsSchema.default({ ...DEFAULT_RESPONSE_TARGETS_S }),
  /** Codes a closed incident's disposition must be one of (`duplicate` is used by merges). */
  dispositionCodes: dispositionCodesSchema.default([...DEFAULT_DISPOSITION_CODES]),
  /** Call intake: a call within this many seconds of an open incident's creation... */
  callDuplicateWindowS: callDuplicateWindowSchema.default(1_800),
  /** ...and this many metres of it, of the same type, is flagged as a possible duplicate. */
  callDuplicateDistanceM: callDuplicateDistanceSchema.default(300),
});
export type AgencySettings = z.infer<typeof agencySettingsSchema>;

/** Settings of a new agency. */
export const DEFAULT_AGENCY_SETTINGS: AgencySettings = {
  timeZone: 'Europe/Madrid',
  locale: 'es',
  nearestMaxPositionAgeS: null,
  escalation: { P1: null, P2: null, P3: null, P4: null },
  retentionDays: null,
  allowedWebhookHosts: [],
  mfaRequiredRoles: [],
  responseTargetsS: { ...DEFAULT_RESPONSE_TARGETS_S },
  dispositionCodes: [...DEFAULT_DISPOSITION_CODES],
  callDuplicateWindowS: 1_800,
  callDuplicateDistanceM: 300,
};

/**
 * `PATCH /v1/agency/settings` (agency admin, `If-Match`) and
 * `PATCH /v1/platform/agencies/{agencyId}/settings` (platform admin): the fields to replace;
 * `escalation` replaces only the priorities it names.
 */
export const updateAgencySettingsRequestSchema = z
  .strictObject({
    timeZone: ianaTimeZoneSchema.optional(),
    locale: localeSchema.optional(),
    nearestMaxPositionAgeS: num().int().min(1).max(86_400).nullable().optional(),
    escalation: escalationLaddersSchema.partial().optional(),
    retentionDays: num().int().min(1).max(3_650).nullable().optional(),
    allowedWebhookHosts: uniqueHosts.optional(),
    mfaRequiredRoles: mfaRolesSchema.optional(),
    responseTargetsS: responseTargetsSchema.optional(),
    dispositionCodes: dispositionCodesSchema.optional(),
    callDuplicateWindowS: callDuplicateWindowSchema.optional(),
    callDuplicateDistanceM: callDuplicateDistanceSchema.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'nothing to update' });
export type UpdateAgencySettingsRequest = z.infer<typeof updateAgencySettingsRequestSchema>;

/** An agency's settings with their version (the `ETag` is `"<version>"`). */
export const agencySettingsResponseSchema = z.object({
  agencyId: text(),
  version: num().int().min(1),
  settings: agencySettingsSchema,
  updatedAt: timestamp(),
});
export type AgencySettingsResponse = z.infer<typeof agencySettingsResponseSchema>;
