import { CreateNotifySchema1732400000000 } from './migrations/1732400000000-create-notify-schema';

/** The schema notification-service owns. */
export const NOTIFY_SCHEMA = 'notify';

/** Migrations of the `notify` schema, in order. */
export const notifyMigrations = [CreateNotifySchema1732400000000];
