import {
  agencySettingsSchema,
  DEFAULT_AGENCY_SETTINGS,
  PLATFORM_AGENCY_ID,
  roleSchema,
  updateAgencySettingsRequestSchema,
} from '@gad/contracts';
import { platformSeparationAllows } from '../auth/gateway-auth.guard';
import { applySettingsChange, settingsOf } from './agency-settings';
import { ifMatchAccepts } from './agencies.service';

describe('agency settings', () => {
  it('reads a stored document through the defaults, field by field when a field is bad', () => {
    expect(settingsOf({})).toEqual(DEFAULT_AGENCY_SETTINGS);
    expect(settingsOf(null)).toEqual(DEFAULT_AGENCY_SETTINGS);
    const stored = settingsOf({
      locale: 'en',
      timeZone: 'Not/AZone',
      escalation: { P2: { deliverMs: 1000, acceptMs: 2000, alertRoles: ['admin'] } },
    });
    expect(stored).toMatchObject({
      locale: 'en',
      timeZone: DEFAULT_AGENCY_SETTINGS.timeZone,
      escalation: { P1: null, P2: { deliverMs: 1000, acceptMs: 2000, alertRoles: ['admin'] } },
    });
  });

  it('applies a change per priority and names only the keys that changed', () => {
    const ladder = { deliverMs: 0, acceptMs: 45_000, alertRoles: ['supervisor' as const] };
    const first = applySettingsChange(DEFAULT_AGENCY_SETTINGS, { escalation: { P3: ladder } });
    expect(first.settings.escalation).toEqual({ P1: null, P2: null, P3: ladder, P4: null });
    expect(first.changed).toEqual(['escalation']);
    const same = applySettingsChange(first.settings, { escalation: { P3: ladder }, locale: 'es' });
    expect(same.changed).toEqual([]);
    const cleared = applySettingsChange(first.settings, { escalation: { P3: null } });
    expect(cleared.settings.escalation.P3).toBeNull();
  });

  it('lets the MFA policy name every role once, call takers included, and no role twice', () => {
    const every = [...roleSchema.options];
    expect(every).toContain('call_taker');
    expect(updateAgencySettingsRequestSchema.safeParse({ mfaRequiredRoles: every }).success).toBe(
      true,
    );
    const twice = updateAgencySettingsRequestSchema.safeParse({
      mfaRequiredRoles: ['dispatcher', 'dispatcher'],
    });
    expect(twice.success).toBe(false);
  });

  it('refuses what is not a setting', () => {
    const bad = [
      { timeZone: 'Europe/Nowhere' },
      { timeZone: '../../etc/passwd' },
      { locale: 'de' },
      { nearestMaxPositionAgeS: 86_401 },
      { retentionDays: 0 },
      { allowedWebhookHosts: ['10.0.0.1:8080'] },
      { allowedWebhookHosts: ['a.example', 'A.example'] },
      { escalation: { P1: { deliverMs: 1, acceptMs: 1, alertRoles: [] } } },
      { escalation: { P1: { deliverMs: 1, acceptMs: 1, alertRoles: ['officer'] } } },
      { unknown: true },
      {},
    ];
    for (const body of bad) {
      expect([body, updateAgencySettingsRequestSchema.safeParse(body).success]).toEqual([
        body,
        false,
      ]);
    }
    expect(
      agencySettingsSchema.safeParse({ ...DEFAULT_AGENCY_SETTINGS, timeZone: 'UTC' }).success,
    ).toBe(true);
    expect(
      updateAgencySettingsRequestSchema.parse({ allowedWebhookHosts: ['Hooks.Agency.Example'] }),
    ).toEqual({ allowedWebhookHosts: ['hooks.agency.example'] });
  });

  it('accepts If-Match lists, weak tags and * for the current version only', () => {
    expect(ifMatchAccepts('"3"', 3)).toBe(true);
    expect(ifMatchAccepts('W/"3"', 3)).toBe(true);
    expect(ifMatchAccepts('"1", "3"', 3)).toBe(true);
    expect(ifMatchAccepts('*', 7)).toBe(true);
    expect(ifMatchAccepts('"2"', 3)).toBe(false);
  });
});

describe('platform separation', () => {
  const platform = { sub: 'op', agencyId: PLATFORM_AGENCY_ID, roles: ['platform-admin' as const] };
  const admin = { sub: 'u', agencyId: 'agency-a', roles: ['admin' as const] };

  it('lets platform tokens reach only /v1/platform/* and agency tokens only the rest', () => {
    expect(platformSeparationAllows(platform, '/v1/platform/agencies')).toBe(true);
    expect(platformSeparationAllows(platform, '/v1/incidents')).toBe(false);
    expect(platformSeparationAllows(platform, '/v1/agency/settings')).toBe(false);
    expect(platformSeparationAllows(platform, undefined)).toBe(false);
    expect(platformSeparationAllows(admin, '/v1/incidents')).toBe(true);
    expect(platformSeparationAllows(admin, '/v1/platform/agencies')).toBe(false);
  });

  it('refuses a platform role mixed with agency roles or an agency claim, and a _platform agency token', () => {
    expect(
      platformSeparationAllows(
        { ...platform, roles: ['platform-admin', 'admin'] },
        '/v1/platform/agencies',
      ),
    ).toBe(false);
    expect(
      platformSeparationAllows({ ...platform, agencyId: 'agency-a' }, '/v1/platform/agencies'),
    ).toBe(false);
    expect(
      platformSeparationAllows({ ...admin, agencyId: PLATFORM_AGENCY_ID }, '/v1/incidents'),
    ).toBe(false);
  });
});
