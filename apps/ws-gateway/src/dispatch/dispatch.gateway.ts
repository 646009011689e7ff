import { Inject, Logger, type OnModuleInit } from '@nestjs/common';
import {
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { Namespaces, roomOf } from '@gad/contracts';
import { JwtVerifier } from '@gad/platform';
import type { Namespace } from 'socket.io';
import { socketAuthMiddleware, type AuthedSocket } from '../realtime/socket-auth';

/** `/dispatch`: consoles. Each socket joins its agency's and its user's rooms. */
@WebSocketGateway({ namespace: Namespaces.Dispatch })
export class DispatchGateway implements OnGatewayInit, OnGatewayConnection, OnModuleInit {
  private readonly logger = new Logger(DispatchGateway.name);

  @WebSocketServer()
  namespace!: Namespace;

  constructor(@Inject(JwtVerifier) private readonly verifier: JwtVerifier) {}

  onModuleInit(): void {
    this.logger.log('dispatch namespace ready');
  }

  afterInit(namespace: Namespace): void {
    namespace.use(socketAuthMiddleware(this.verifier));
  }

  async handleConnection(socket: AuthedSocket): Promise<void> {
    const { user } = socket.data;
    await socket.join([roomOf.agency(user.agencyId), roomOf.user(user.sub)]);
  }
}
