import { envInt, loadConfig, serviceEnvSchema } from '@gad/config';
import { z } from 'zod';

export const notificationServiceEnvSchema = serviceEnvSchema.extend({
  PORT: envInt(3004, 1, 65535),
  /** Name of this instance in consumer groups and logs (defaults to host:port). */
  INSTANCE_ID: z.string().min(1).optional(),
});

export type NotificationServiceConfig = z.infer<typeof notificationServiceEnvSchema>;
export const NOTIFICATION_SERVICE_CONFIG = Symbol('NOTIFICATION_SERVICE_CONFIG');

export function loadNotificationServiceConfig(): NotificationServiceConfig {
  return loadConfig('notification-service', notificationServiceEnvSchema);
}
