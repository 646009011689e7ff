import { apiGatewayEnvSchema, corsSettingsOf, loadConfig } from '@gad/config';
import { z } from 'zod';

// The schema lives in @gad/config (libs/config/src/lib/services), where docker/test reads it too.
export { apiGatewayEnvSchema };

export type ApiGatewayConfig = z.infer<typeof apiGatewayEnvSchema>;
export const API_GATEWAY_CONFIG = Symbol('API_GATEWAY_CONFIG');

export function loadApiGatewayConfig(): ApiGatewayConfig {
  const config = loadConfig('api-gateway', apiGatewayEnvSchema);
  corsSettingsOf('api-gateway', config); // refuses `*` with credentials at boot
  if (config.AUTH_DEV_LOGIN && config.NODE_ENV === 'production') {
    throw new Error('api-gateway: AUTH_DEV_LOGIN must not be enabled in production');
  }
  const bootstrap = [
    config.BOOTSTRAP_AGENCY_ID,
    config.BOOTSTRAP_AGENCY_NAME,
    config.BOOTSTRAP_ADMIN_USERNAME,
    config.BOOTSTRAP_ADMIN_EMAIL,
    config.BOOTSTRAP_ADMIN_PASSWORD,
  ].filter((value) => value !== undefined).length;
  if (bootstrap !== 0 && bootstrap !== 5) {
    throw new Error(
      'api-gateway: set all of BOOTSTRAP_AGENCY_ID, BOOTSTRAP_AGENCY_NAME, BOOTSTRAP_ADMIN_USERNAME, BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD or none',
    );
  }
  if (
    (config.BOOTSTRAP_PLATFORM_ADMIN_USERNAME === undefined) !==
    (config.BOOTSTRAP_PLATFORM_ADMIN_PASSWORD === undefined)
  ) {
    throw new Error(
      'api-gateway: set both BOOTSTRAP_PLATFORM_ADMIN_USERNAME and BOOTSTRAP_PLATFORM_ADMIN_PASSWORD or neither',
    );
  }
  return config;
}
