import { Inject, Injectable } from '@nestjs/common';
import { BusClient, RpcRemoteError, RpcTimeoutError } from '@gad/bus';
import type { AccessClaims } from '@gad/contracts';
import { DomainException } from '@gad/platform';
import type { z } from 'zod';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export const GEO_SERVICE = 'geo-service';

/** Maps remote error codes to the HTTP status the edge answers with. */
function statusOf(code: string): number {
  if (code === 'validation_failed' || code.startsWith('invalid_')) {
    return 422;
  }
  if (code.endsWith('not_found')) {
    return 404;
  }
  if (code.endsWith('conflict')) {
    return 409;
  }
  return 502;
}

/** The api-gateway's port to geo-service: request/reply over the bus, errors as problem+json. */
@Injectable()
export class GeoClient {
  constructor(
    private readonly bus: BusClient,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  async call<S extends z.ZodType>(
    user: AccessClaims,
    pattern: string,
    data: unknown,
    replySchema: S,
  ): Promise<z.infer<S>> {
    try {
      const reply = await this.bus.request<unknown>(GEO_SERVICE, pattern, data, {
        timeoutMs: this.config.RPC_TIMEOUT_MS,
        agencyId: user.agencyId,
        actor: { kind: 'user', id: user.sub, roles: user.roles },
      });
      return replySchema.parse(reply);
    } catch (error) {
      if (error instanceof RpcTimeoutError) {
        throw new DomainException('upstream_timeout', 504, 'geo-service did not answer in time');
      }
      if (error instanceof RpcRemoteError) {
        const status = statusOf(error.code);
        throw new DomainException(
          error.code,
          status,
          status === 502 ? 'geo-service failed to answer' : error.message,
        );
      }
      throw error;
    }
  }
}
