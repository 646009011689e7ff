import { hostname } from 'node:os';
import { loadConfig, wsGatewayEnvSchema } from '@gad/config';
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
  return loadConfig('ws-gateway', wsGatewayEnvSchema);
}
