import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import {
  commandAckRequestSchema,
  fieldPositionMessageSchema,
  Namespaces,
  positionsBatchRequestSchema,
  resumeRequestSchema,
  roomOf,
  type PositionFix,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import type { Namespace } from 'socket.io';
import { CommandsService } from '../commands/commands.service';
import { ConnectionService } from '../realtime/connection.service';
import { installMessageRouter, type MessageHandler } from '../realtime/message-router';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import { fieldPolicy, type AuthedSocket } from '../realtime/socket-auth';
import { WsException } from '../realtime/ws.exception';
import { PositionIntakeService } from './position-intake.service';

/**
 * `/field`: officers' devices (role `officer`, token with `unitId`). Each socket joins its unit's and
 * its user's rooms, gets the commands it missed (after handshake `auth.lastSeq`/`lastUserSeq`; a
 * seq not sent counts as 0, the whole retained log), and sends
 * `position`, `command.ack` and `resume`.
 */
@WebSocketGateway({ namespace: Namespaces.Field })
export class FieldGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = createLogger('field-gateway');
  private readonly handlers: Record<string, MessageHandler> = {
    position: (socket, payload) => this.onPosition(socket, payload),
    positions: (socket, payload) => this.onPositionsBatch(socket, payload),
    'command.ack': (socket, payload) => this.onCommandAck(socket, payload),
    resume: (socket, payload) => this.onResume(socket, payload),
  };

  constructor(
    @Inject(ConnectionService) private readonly connections: ConnectionService,
    private readonly namespaces: NamespacesRegistry,
    private readonly commands: CommandsService,
    private readonly positions: PositionIntakeService,
  ) {}

  afterInit(namespace: Namespace): void {
    this.namespaces.field = namespace;
    namespace.use(this.connections.middleware(fieldPolicy));
  }

  async handleConnection(socket: AuthedSocket): Promise<void> {
    this.connections.attach(socket, fieldPolicy);
    installMessageRouter(socket, fieldPolicy, this.connections, this.handlers);
    const { user, lastSeq, lastUserSeq } = socket.data;
    // Join before reading the log: a command appended meanwhile arrives live (devices order by seq).
    await socket.join([
      roomOf.unit(user.agencyId, user.unitId ?? ''),
      roomOf.user(user.agencyId, user.sub),
    ]);
    // Every (re)connection replays both logs; a seq the handshake lacks counts as 0 (see replay).
    try {
      await this.commands.replay(socket, lastSeq, lastUserSeq);
    } catch (error) {
      this.logger.warn({ err: error, socketId: socket.id }, 'replay failed; closing the socket');
      this.connections.sendError(socket, WsException.unavailable().toSocketError('resume'));
      socket.conn.close();
    }
  }

  private async onPosition(socket: AuthedSocket, payload: unknown) {
    const parsed = fieldPositionMessageSchema.safeParse(payload);
    if (!parsed.success) {
      throw WsException.invalidPayload(parsed.error);
    }
    return this.report(socket, Array.isArray(parsed.data) ? parsed.data : [parsed.data]);
  }

  private async onPositionsBatch(socket: AuthedSocket, payload: unknown) {
    const parsed = positionsBatchRequestSchema.safeParse(payload);
    if (!parsed.success) {
      throw WsException.invalidPayload(parsed.error);
    }
    return this.report(socket, parsed.data.positions);
  }

  private async report(socket: AuthedSocket, fixes: PositionFix[]) {
    const unitId = socket.data.user.unitId;
    if (fixes.some((fix) => fix.unitId !== unitId)) {
      throw WsException.forbidden(`a device reports positions of its own unit (${unitId}) only`);
    }
    await this.positions.submit(socket.data.user, fixes);
    return { accepted: fixes.length };
  }

  private async onCommandAck(socket: AuthedSocket, payload: unknown) {
    const parsed = commandAckRequestSchema.safeParse(payload);
    if (!parsed.success) {
      throw WsException.invalidPayload(parsed.error);
    }
    await this.commands.acknowledge(socket, parsed.data);
    return {};
  }

  private async onResume(socket: AuthedSocket, payload: unknown) {
    const parsed = resumeRequestSchema.safeParse(payload);
    if (!parsed.success) {
      throw WsException.invalidPayload(parsed.error);
    }
    const result = await this.commands.replay(socket, parsed.data.lastSeq, parsed.data.lastUserSeq);
    return { ...result };
  }
}
