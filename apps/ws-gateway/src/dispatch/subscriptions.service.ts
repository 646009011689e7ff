import { Injectable } from '@nestjs/common';
import { roomOf, type SubscriptionRequest } from '@gad/contracts';
import type { AuthedSocket } from '../realtime/socket-auth';
import { WsException } from '../realtime/ws.exception';
import { OwnershipRepository } from '../ownership/ownership.repository';

/**
 * Console subscriptions to an incident's or a zone's events. Rooms are qualified by the caller's
 * agency, so whatever id a console sends it can only join a room of its own agency; ids known to
 * belong to another agency (from the events seen on the streams) are refused as `forbidden`.
 */
@Injectable()
export class SubscriptionsService {
  constructor(private readonly ownership: OwnershipRepository) {}

  async subscribe(socket: AuthedSocket, request: SubscriptionRequest): Promise<string> {
    const room = await this.roomFor(socket, request);
    await socket.join(room);
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
