import { AUDIT_RPC_SERVICE, GEO_RPC_SERVICE } from '@gad/contracts';
import type { BusClientOptions } from '@gad/bus';
import type { ApiGatewayConfig } from '../api-gateway.config';

/**
 * The services the gateway reads from over pooled HTTP keep-alive (docs/adr/0024): those whose
 * `*_RPC_URL` is set. Undefined when none is (every call then goes over the RPC streams).
 */
export function rpcHttpOf(config: ApiGatewayConfig): BusClientOptions['http'] {
  const urls: Record<string, string> = {};
  if (config.GEO_SERVICE_RPC_URL) {
    urls[GEO_RPC_SERVICE] = config.GEO_SERVICE_RPC_URL;
  }
  if (config.AUDIT_LOG_WORKER_RPC_URL) {
    urls[AUDIT_RPC_SERVICE] = config.AUDIT_LOG_WORKER_RPC_URL;
  }
  if (Object.keys(urls).length === 0) {
    return undefined;
  }
  if (!config.RPC_HTTP_TOKEN) {
    throw new Error(
      'GEO_SERVICE_RPC_URL / AUDIT_LOG_WORKER_RPC_URL are set without RPC_HTTP_TOKEN',
    );
  }
  return { urls, token: config.RPC_HTTP_TOKEN };
}
