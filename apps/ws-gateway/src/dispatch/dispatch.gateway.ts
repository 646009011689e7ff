import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import {
  catchUpRequestSchema,
  Namespaces,
  roomOf,
  subscriptionRequestSchema,
} from '@gad/contracts';
import type { Namespace } from 'socket.io';
import { ConsoleFeedService } from '../fanout/console-feed.service';
import { FanoutService, REVOKE_EVENT, type Revocation } from '../fanout/fanout.service';
import { ConnectionService } from '../realtime/connection.service';
import { installMessageRouter, type MessageHandler } from '../realtime/message-router';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import { dispatchPolicy, type AuthedSocket } from '../realtime/socket-auth';
import { WsException } from '../realtime/ws.exception';
import { SubscriptionsService } from './subscriptions.service';

/**
 * `/dispatch`: consoles (roles admin, supervisor, dispatcher). Each socket joins its agency's and its
 * user's rooms and may `subscribe`/`unsubscribe` to incidents and zones (with an ack), and
 * `catch_up` on its agency's feed after a reconnect.
 */
@WebSocketGateway({ namespace: Namespaces.Dispatch })
export class DispatchGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly handlers: Record<string, MessageHandler> = {
    subscribe: async (socket, payload) => ({
      room: await this.subscriptions.subscribe(socket, parseSubscription(payload)),
    }),
    unsubscribe: async (socket, payload) => ({
      room: await this.subscriptions.unsubscribe(socket, parseSubscription(payload)),
    }),
    catch_up: async (socket, payload) => {
      const parsed = catchUpRequestSchema.safeParse(payload ?? {});
      if (!parsed.success) {
        throw WsException.invalidPayload(parsed.error);
      }
      return { ...(await this.feed.catchUp(socket.data.user.agencyId, parsed.data)) };
    },
  };

  constructor(
    @Inject(ConnectionService) private readonly connections: ConnectionService,
    private readonly namespaces: NamespacesRegistry,
    private readonly subscriptions: SubscriptionsService,
    private readonly fanout: FanoutService,
    private readonly feed: ConsoleFeedService,
  ) {}

  afterInit(namespace: Namespace): void {
    this.namespaces.dispatch = namespace;
    namespace.use(this.connections.middleware(dispatchPolicy));
    // Revocations handled by another instance arrive as a server-side emit.
    namespace.on(REVOKE_EVENT, (revocation: Revocation) => this.fanout.revokeLocally(revocation));
  }

  async handleConnection(socket: AuthedSocket): Promise<void> {
    this.connections.attach(socket, dispatchPolicy);
    installMessageRouter(socket, dispatchPolicy, this.connections, this.handlers);
    const { user } = socket.data;
    await socket.join([roomOf.agency(user.agencyId), roomOf.user(user.agencyId, user.sub)]);
  }
}

function parseSubscription(payload: unknown) {
  const parsed = subscriptionRequestSchema.safeParse(payload);
  if (!parsed.success) {
    throw WsException.invalidPayload(parsed.error);
  }
  return parsed.data;
}
