import { hostname } from 'node:os';
import { corsSettingsOf, loadConfig, wsGatewayEnvSchema } from '@gad/config';
import { z } from 'zod';

// The schema lives in @gad/config (libs/config/src/lib/services), where docker/test reads it too.
export { wsGatewayEnvSchema };

export type WsGatewayConfig = z.infer<typeof wsGatewayEnvSchema>;
export const WS_GATEWAY_CONFIG = Symbol('WS_GATEWAY_CONFIG');

/** This instance's name in consumer groups, RPC reply streams and logs. */
export function instanceIdOf(config: WsGatewayConfig): string {
  return config.INSTANCE_ID ?? `ws-gateway:${hostname()}:${process.pid}`;
}

export function loadWsGatewayConfig(): WsGatewayConfig {
  const config = loadConfig('ws-gateway', wsGatewayEnvSchema);
  corsSettingsOf('ws-gateway', config); // refuses `*` with credentials at boot
  return config;
}
