import { Injectable } from '@nestjs/common';
import { roomOf, type SubscriptionRequest } from '@gad/contracts';
import type { AuthedSocket } from '../realtime/socket-auth';
import { WsException } from '../realtime/ws.exception';
import { OwnershipRepository } from '../ownership/ownership.repository';
import { SocketAuditService } from '../realtime/socket-audit.service';

/**
 * Console subscriptions to an incident's or a zone's events. Rooms are qualified by the caller's
 * agency, so whatever id a console sends it can only join a room of its own agency; ids known to
 * belong to another agency (from the events seen on the streams) are refused as `forbidden`.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly ownership: OwnershipRepository,
    private readonly audit: SocketAuditService,
  ) {}

  /** Joins the room; the subscription (or its refusal) is audited before the ack (ADR 0021). */
  async subscribe(socket: AuthedSocket, request: SubscriptionRequest): Promise<string> {
    let room: string;
    try {
      room = await this.roomFor(socket, request);
    } catch (error) {
      await this.audit.subscribed(socket, request, 'denied', (error as Error).message);
      throw error;
    }
    await socket.join(room);
    await this.audit.subscribed(socket, request, 'success');
    return room;
  }

  async unsubscribe(socket: AuthedSocket, request: SubscriptionRequest): Promise<string> {
    const room = this.qualified(socket, request);
    await socket.leave(room);
    return room;
  }

  private async roomFor(socket: AuthedSocket, request: SubscriptionRequest): Promise<string> {
    const owner = await this.ownership.ownerOf(request.kind, request.id);
    if (owner !== null && owner !== socket.data.user.agencyId) {
      throw WsException.forbidden(`${request.kind} ${request.id} belongs to another agency`);
    }
    return this.qualified(socket, request);
  }

  private qualified(socket: AuthedSocket, request: SubscriptionRequest): string {
    const agencyId = socket.data.user.agencyId;
    return request.kind === 'incident'
      ? roomOf.incident(agencyId, request.id)
      : roomOf.zone(agencyId, request.id);
  }
}
