import { envInt, loadConfig, serviceEnvSchema } from '@gad/config';
import { z } from 'zod';

export const wsGatewayEnvSchema = serviceEnvSchema.extend({
  PORT: envInt(3001, 1, 65535),
  /** Public key (SPKI PEM, or the private key PEM in development) that verifies access tokens. */
  JWT_PUBLIC_KEY: z
    .string()
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => /-----BEGIN (PUBLIC|PRIVATE) KEY-----/.test(value), {
      message: 'must be a PEM key',
    }),
  JWT_ISSUER: z.string().min(1).default('gad-dispatch'),
  JWT_AUDIENCE: z.string().min(1).default('gad-dispatch'),
  /** Name of this instance in consumer groups and logs (defaults to host:port). */
  INSTANCE_ID: z.string().min(1).optional(),
});

export type WsGatewayConfig = z.infer<typeof wsGatewayEnvSchema>;
export const WS_GATEWAY_CONFIG = Symbol('WS_GATEWAY_CONFIG');

export function loadWsGatewayConfig(): WsGatewayConfig {
  return loadConfig('ws-gateway', wsGatewayEnvSchema);
}
