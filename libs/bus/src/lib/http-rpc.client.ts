import { Agent, request as httpRequest } from 'node:http';
import { createEnvelope } from '@gad/contracts';
import { BusClosedError, RpcRemoteError, RpcTimeoutError } from './bus.exception';
import { HTTP_RPC_PATH, HTTP_RPC_TIMEOUT_HEADER } from './http-rpc.server';
import { errorMessage } from './redis-connection';
import type { RpcReply, RpcRequestOptions } from './rpc.client';
import { withTraceparent } from './trace-propagation';

export interface HttpRpcClientOptions {
  /** Base URL per service name, e.g. `{ 'geo-service': 'http://geo-service:3102' }`. */
  urls: Readonly<Record<string, string>>;
  /** The shared secret of the services' HTTP RPC servers. */
  token: string;
  instanceId: string;
  defaultTimeoutMs?: number;
  /** Keep-alive connections per service at most. Default 64. */
  maxSockets?: number;
}

interface Target {
  host: string;
  port: number;
  agent: Agent;
}

/**
 * Request/reply over pooled HTTP/1.1 keep-alive to the owning service (docs/adr/0024): one write
 * and one read on a warm connection per call, against four Redis commands for the stream RPC.
 * The same envelope (agency, actor, `traceparent`), the same deadline (sent as the remaining
 * milliseconds; the socket is destroyed when it passes, which the server sees as cancellation),
 * the same errors (`RpcTimeoutError`, `RpcRemoteError` with the remote code; a connection that
 * fails is `rpc_send_failed`).
 */
export class HttpRpcClient {
  private readonly targets = new Map<string, Target>();
  private readonly authorization: string;
  private closed = false;

  constructor(private readonly options: HttpRpcClientOptions) {
    this.authorization = `Bearer ${options.token}`;
    for (const [service, base] of Object.entries(options.urls)) {
      const url = new URL(base);
      if (url.protocol !== 'http:') {
        throw new Error(`RPC URL of ${service} must be http:// (got ${url.protocol})`);
      }
      this.targets.set(service, {
        host: url.hostname,
        port: Number(url.port || 80),
        agent: new Agent({
          keepAlive: true,
          keepAliveMsecs: 1_000,
          maxSockets: options.maxSockets ?? 64,
          scheduling: 'lifo',
        }),
      });
    }
  }

  /** Whether calls to `service` go over HTTP. */
  serves(service: string): boolean {
    return this.targets.has(service);
  }

  request<TResponse = unknown>(
    service: string,
    pattern: string,
    data: unknown,
    options: RpcRequestOptions = {},
  ): Promise<TResponse> {
    const target = this.targets.get(service);
    if (this.closed) {
      return Promise.reject(new BusClosedError(`rpc ${service}/${pattern}`));
    }
    if (!target) {
      return Promise.reject(new Error(`no RPC URL for ${service}`));
    }
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 5_000;
    const body = JSON.stringify(
      withTraceparent(
        createEnvelope({
          type: pattern,
          agencyId: options.agencyId ?? 'system',
          actor: options.actor ?? { kind: 'service', id: this.options.instanceId },
          data,
        }),
      ),
    );
    return new Promise<TResponse>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, value?: unknown): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (error) {
          reject(error);
        } else {
          resolve(value as TResponse);
        }
      };
      const req = httpRequest(
        {
          agent: target.agent,
          host: target.host,
          port: target.port,
          method: 'POST',
          path: `${HTTP_RPC_PATH}${encodeURIComponent(pattern)}`,
          headers: {
            authorization: this.authorization,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            [HTTP_RPC_TIMEOUT_HEADER]: String(timeoutMs),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => finish(sendFailed(error)));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              finish(
                new RpcRemoteError('rpc_send_failed', `${service} answered HTTP ${res.statusCode}`),
              );
              return;
            }
            let reply: RpcReply;
            try {
              reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcReply;
            } catch (error) {
              finish(new RpcRemoteError('invalid_reply', errorMessage(error)));
              return;
            }
            if (reply.ok) {
              finish(undefined, reply.data);
            } else {
              finish(
                new RpcRemoteError(
                  reply.error?.code ?? 'internal_error',
                  reply.error?.message ?? '',
                ),
              );
            }
          });
        },
      );
      // The deadline covers connecting, queueing for a pooled socket and the answer; passing it
      // destroys the request, which the server sees as the caller gone.
      const timer = setTimeout(() => {
        finish(new RpcTimeoutError(service, pattern, timeoutMs));
        req.destroy();
      }, timeoutMs);
      req.on('error', (error) => finish(sendFailed(error)));
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const target of this.targets.values()) {
      target.agent.destroy();
    }
  }
}

function sendFailed(error: unknown): RpcRemoteError {
  return new RpcRemoteError('rpc_send_failed', errorMessage(error));
}
