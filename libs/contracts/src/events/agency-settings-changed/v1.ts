import { z } from 'zod';
import { num, text, timestamp } from '../../primitives/primitives.schema';
import { agencySettingsSchema } from '../../http/agency-settings.schema';

/**
 * `agency.settings_changed` v1 on `gad:dispatch:events` (producer: api-gateway): an agency was
 * created or its settings changed (agency admin or platform admin). Carries the complete settings
 * and their version, so a consumer keeps the newest version it saw and needs no call back.
 * notification-service keeps them (`notify.agency_settings`) for escalation ladders and allowed
 * webhook hosts.
 */
export const agencySettingsChangedV1 = z.object({
  version: num().int().min(1),
  settings: agencySettingsSchema,
  /** Top-level settings that changed (every one for a new agency). */
  changed: z.array(text().max(64)).max(20),
  changedAt: timestamp(),
});
export type AgencySettingsChangedV1 = z.infer<typeof agencySettingsChangedV1>;
