import { databaseEnvSchema, envBool, envInt, loadConfig, serviceEnvSchema } from '@gad/config';
import { z } from 'zod';

const pem = (kind: string) =>
  z
    .string()
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => value.includes(`-----BEGIN ${kind}-----`), {
      message: `must be a PEM ${kind.toLowerCase()}`,
    });

export const apiGatewayEnvSchema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  PORT: envInt(3000, 1, 65535),
  /** ES256 (P-256) private key, PKCS#8 PEM; `\n` escapes allowed. Signs access tokens. */
  JWT_PRIVATE_KEY: pem('PRIVATE KEY'),
  JWT_KEY_ID: z.string().min(1).default('gad-1'),
  JWT_ISSUER: z.string().min(1).default('gad-dispatch'),
  JWT_AUDIENCE: z.string().min(1).default('gad-dispatch'),
  JWT_ACCESS_TTL_SECONDS: envInt(900, 30, 3600),
  /** Enables `POST /v1/auth/dev-login` (never in production). */
  AUTH_DEV_LOGIN: envBool(false),
  /** Deadline of request/reply calls to other services over the bus. */
  RPC_TIMEOUT_MS: envInt(2_000, 50, 30_000),
  OUTBOX_POLL_MS: envInt(200, 10, 10_000),
});

export type ApiGatewayConfig = z.infer<typeof apiGatewayEnvSchema>;
export const API_GATEWAY_CONFIG = Symbol('API_GATEWAY_CONFIG');

export function loadApiGatewayConfig(): ApiGatewayConfig {
  const config = loadConfig('api-gateway', apiGatewayEnvSchema);
  if (config.AUTH_DEV_LOGIN && config.NODE_ENV === 'production') {
    throw new Error('api-gateway: AUTH_DEV_LOGIN must not be enabled in production');
  }
  return config;
}
