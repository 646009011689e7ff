import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { envelopeSchema, type Envelope } from '@gad/contracts';
import { defaultLogger, errorMessage, type BusLogger } from './redis-connection';
import type { RpcReply } from './rpc.client';

/** Path prefix of RPC requests: `POST /rpc/<pattern>`. */
export const HTTP_RPC_PATH = '/rpc/';
/** Header with the caller's remaining deadline in milliseconds (relative: no shared clock needed). */
export const HTTP_RPC_TIMEOUT_HEADER = 'gad-timeout-ms';
/** Largest request body accepted (an envelope with a geofence of 10,000 vertices fits). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpRpcServerOptions {
  port: number;
  host?: string;
  /** Shared secret callers send as `Authorization: Bearer <token>` (at least 32 characters). */
  token: string;
  /** Requests handled at the same time; beyond it the reply is `overloaded` at once. Default 256. */
  maxInFlight?: number;
  logger?: BusLogger;
}

/**
 * Answers a request: the envelope, the deadline (epoch ms) and whether the caller is still
 * waiting. Resolves with the reply to send.
 */
export type HttpRpcAnswer = (
  envelope: Envelope,
  deadline: number,
  callerGone: () => boolean,
) => Promise<RpcReply>;

/**
 * Request/reply over pooled HTTP/1.1 keep-alive (docs/adr/0024): the same `@MessagePattern`
 * handlers as `gad:rpc:<service>`, without the four Redis commands per call. A plain `node:http`
 * server on its own port (no Fastify, Nest or routing on the path), reachable only by callers
 * holding the shared token. Replies are the stream transport's `RpcReply` JSON, always HTTP 200
 * when the request was understood; 401/404/413/400 otherwise.
 */
export class HttpRpcServer {
  private server?: Server;
  private inFlight = 0;
  private readonly token: Buffer;
  private readonly logger: BusLogger;

  constructor(
    private readonly options: HttpRpcServerOptions,
    private readonly answer: HttpRpcAnswer,
  ) {
    if (options.token.length < 32) {
      throw new Error('the RPC token must have at least 32 characters');
    }
    this.token = Buffer.from(`Bearer ${options.token}`);
    this.logger = options.logger ?? defaultLogger('HttpRpcServer');
  }

  /** Resolves with the bound port once listening. */
  async listen(): Promise<number> {
    const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
      this.onRequest(request, response);
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '';
    if (request.method !== 'POST' || !url.startsWith(HTTP_RPC_PATH)) {
      return this.fail(response, 404);
    }
    if (!this.authorised(request.headers.authorization)) {
      return this.fail(response, 401);
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      return this.fail(response, 413);
    }
    const timeoutMs = Number(request.headers[HTTP_RPC_TIMEOUT_HEADER]);
    const deadline = Date.now() + (Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5_000);
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      void this.handle(Buffer.concat(chunks).toString('utf8'), deadline, response);
    });
  }

  private async handle(body: string, deadline: number, response: ServerResponse): Promise<void> {
    let envelope: Envelope;
    try {
      const parsed = envelopeSchema.safeParse(JSON.parse(body));
      if (!parsed.success) {
        return this.fail(response, 400);
      }
      envelope = parsed.data;
    } catch {
      return this.fail(response, 400);
    }
    let reply: RpcReply;
    const maxInFlight = this.options.maxInFlight ?? 256;
    if (this.inFlight >= maxInFlight) {
      reply = { ok: false, error: { code: 'overloaded', message: 'too many requests in flight' } };
    } else {
      this.inFlight += 1;
      try {
        reply = await this.answer(envelope, deadline, () => response.destroyed);
      } catch (error) {
        this.logger.error(`rpc ${envelope.type} (${envelope.id}) failed: ${errorMessage(error)}`);
        reply = { ok: false, error: { code: 'internal_error', message: 'internal error' } };
      } finally {
        this.inFlight -= 1;
      }
    }
    if (response.destroyed) {
      // The caller gave up (deadline, cancellation): nobody reads the reply.
      return;
    }
    let json: string;
    try {
      json = JSON.stringify(reply);
    } catch (error) {
      json = JSON.stringify({
        ok: false,
        error: { code: 'unserialisable_reply', message: errorMessage(error) },
      } satisfies RpcReply);
    }
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
    });
    response.end(json);
  }

  private authorised(header: string | undefined): boolean {
    if (header === undefined) {
      return false;
    }
    const given = Buffer.from(header);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  private fail(response: ServerResponse, status: number): void {
    response.writeHead(status, { 'content-length': 0 });
    response.end();
  }
}

/**
 * The transport's `http` option from a service's `RPC_HTTP_PORT` / `RPC_HTTP_TOKEN` / `HOST`
 * (`rpcHttpServerEnvSchema` of @gad/config): undefined when no port is set; a port without a
 * token is refused (an open RPC port would let anyone act as any agency).
 */
export function httpRpcOptionsOf(env: {
  RPC_HTTP_PORT?: number;
  RPC_HTTP_TOKEN?: string;
  HOST?: string;
}): Omit<HttpRpcServerOptions, 'logger'> | undefined {
  if (env.RPC_HTTP_PORT === undefined) {
    return undefined;
  }
  if (!env.RPC_HTTP_TOKEN) {
    throw new Error('RPC_HTTP_PORT is set without RPC_HTTP_TOKEN');
  }
  return { port: env.RPC_HTTP_PORT, host: env.HOST, token: env.RPC_HTTP_TOKEN };
}
