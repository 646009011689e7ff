import { CreateNotifySchema1732400000000 } from './migrations/1732400000000-create-notify-schema';
import { EncryptWebhookSecrets1765050000000 } from './migrations/1765050000000-encrypt-webhook-secrets';
import { CreateAgencySettings1765060000000 } from './migrations/1765060000000-create-agency-settings';
import { CreateAllCalls1765070000000 } from './migrations/1765070000000-create-all-calls';
import { AddAllCallZone1765080000000 } from './migrations/1765080000000-add-all-call-zone';
import { RecipientsFollowUsers1765080000000 } from './migrations/1765080000000-recipients-follow-users';
import { ContactVerifications1765090000000 } from './migrations/1765090000000-contact-verifications';

/** The schema notification-service owns. */
export const NOTIFY_SCHEMA = 'notify';

/** Migrations of the `notify` schema, in order. */
export const notifyMigrations = [
  CreateNotifySchema1732400000000,
  EncryptWebhookSecrets1765050000000,
  CreateAgencySettings1765060000000,
  CreateAllCalls1765070000000,
  AddAllCallZone1765080000000,
  RecipientsFollowUsers1765080000000,
  ContactVerifications1765090000000,
];
