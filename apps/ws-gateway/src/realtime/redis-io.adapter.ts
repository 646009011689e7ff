import type { INestApplicationContext } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';

export interface RedisIoAdapterOptions {
  channelPrefix: string;
  maxPayloadBytes: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** socket.io `cors` (long-polling) and `allowRequest` (origin check), see socketCorsOptions. */
  cors?: ServerOptions['cors'];
  allowRequest?: ServerOptions['allowRequest'];
}

/**
 * socket.io on the app's HTTP server, spread across gateway instances by the sharded Redis adapter
 * (SPUBLISH/SSUBSCRIBE, Redis 7). The adapter only spreads emits; durable intake is the bus.
 * Websocket first, long-polling as the fallback (behind sticky sessions). A frame larger than
 * `maxPayloadBytes` closes the connection (the client reconnects); sockets silent past
 * ping interval + timeout are closed by the server.
 */
export class RedisIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly pubClient: Redis,
    private readonly subClient: Redis,
    private readonly options: RedisIoAdapterOptions,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      transports: ['websocket', 'polling'],
      pingInterval: this.options.pingIntervalMs,
      pingTimeout: this.options.pingTimeoutMs,
      maxHttpBufferSize: this.options.maxPayloadBytes,
      perMessageDeflate: false,
      serveClient: false,
      cors: this.options.cors,
      allowRequest: this.options.allowRequest,
    });
    server.adapter(
      createShardedAdapter(this.pubClient, this.subClient, {
        channelPrefix: `${this.options.channelPrefix}socket.io`,
      }),
    );
    return server;
  }

  /**
   * The gateways declare no `@SubscribeMessage` handlers (one middleware per socket routes every
   * event, see `installMessageRouter`), yet Nest's adapter would still build an rxjs `disconnect$`
   * pipeline for each socket: about 1 KB of closures and observables per idle socket for nothing.
   */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length > 0) {
      super.bindMessageHandlers(socket, handlers, transform);
    }
  }
}
