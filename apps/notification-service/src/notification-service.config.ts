import { loadConfig, notificationServiceEnvSchema } from '@gad/config';
import { z } from 'zod';

// The schema lives in @gad/config (libs/config/src/lib/services), where docker/test reads it too.
export { notificationServiceEnvSchema };

export type NotificationServiceConfig = z.infer<typeof notificationServiceEnvSchema>;
export const NOTIFICATION_SERVICE_CONFIG = Symbol('NOTIFICATION_SERVICE_CONFIG');

export function loadNotificationServiceConfig(): NotificationServiceConfig {
  return loadConfig('notification-service', notificationServiceEnvSchema);
}
