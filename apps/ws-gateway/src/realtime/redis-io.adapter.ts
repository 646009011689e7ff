import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';

/**
 * socket.io on the app's HTTP server, spread across gateway instances by the sharded Redis adapter
 * (SPUBLISH/SSUBSCRIBE, Redis 7). The adapter only spreads emits; durable intake is the bus.
 */
export class RedisIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly pubClient: Redis,
    private readonly subClient: Redis,
    private readonly channelPrefix: string,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      transports: ['websocket', 'polling'],
      pingInterval: 25_000,
      pingTimeout: 20_000,
      maxHttpBufferSize: 16 * 1024,
      serveClient: false,
    });
    server.adapter(
      createShardedAdapter(this.pubClient, this.subClient, {
        channelPrefix: `${this.channelPrefix}socket.io`,
      }),
    );
    return server;
  }
}
