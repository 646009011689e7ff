import { Injectable } from '@nestjs/common';
import { AuditRecorder, UNSCOPED_AGENCY, type AuditRecordInput } from '@gad/audit';
import { AuditActions, type AuditOutcome, type SubscriptionRequest } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import type { Socket } from 'socket.io';
import type { NamespacePolicy, SocketIdentity } from './socket-auth';

/**
 * The audit trail of ws-gateway (docs/adr/0021): socket connects and refusals, subscriptions,
 * disconnects (logoffs) and revocation disconnects. ws-gateway has no database, so an entry that
 * answers something (a handshake, a subscription ack) is added to the BullMQ queue `audit` and
 * awaited before the socket is answered (`AuditRecorder.write`); disconnects answer nobody and are
 * recorded without waiting.
 */
@Injectable()
export class SocketAuditService {
  private readonly logger = createLogger('socket-audit');

  constructor(private readonly recorder: AuditRecorder) {}

  /** A handshake that was admitted; awaited before the socket is connected. */
  connected(socket: Socket, policy: NamespacePolicy): Promise<void> {
    return this.write(socket, AuditActions.SocketConnected, 'success', { namespace: policy.name });
  }

  /** A handshake that was refused (bad token, role, quota...); awaited before `connect_error`. */
  refused(socket: Socket, policy: NamespacePolicy, code: string, message: string): Promise<void> {
    return this.write(socket, AuditActions.SocketRefused, 'denied', {
      namespace: policy.name,
      code,
      reason: message,
    });
  }

  /** A subscription request and its outcome; awaited before the ack. */
  subscribed(
    socket: Socket,
    request: SubscriptionRequest,
    outcome: AuditOutcome,
    reason?: string,
  ): Promise<void> {
    return this.write(socket, AuditActions.SocketSubscribed, outcome, {
      object: { type: request.kind, id: request.id },
      ...(reason ? { reason } : {}),
    });
  }

  /** The socket went away: a revocation disconnect, or a logoff (client, expiry, shutdown). */
  disconnected(socket: Socket, policy: NamespacePolicy, reason: string): void {
    const revokedFor = (socket.data as SocketIdentity | undefined)?.revokedFor;
    void this.write(
      socket,
      revokedFor ? AuditActions.SocketRevoked : AuditActions.SocketDisconnected,
      'success',
      { namespace: policy.name, reason: revokedFor ?? reason },
    );
  }

  private async write(
    socket: Socket,
    action: string,
    outcome: AuditOutcome,
    what: {
      namespace?: string;
      code?: string;
      reason?: string;
      object?: AuditRecordInput['object'];
    },
  ): Promise<void> {
    const user = (socket.data as SocketIdentity | undefined)?.user;
    const userAgent = socket.handshake.headers['user-agent'];
    const input: AuditRecordInput = {
      agencyId: user?.agencyId ?? UNSCOPED_AGENCY,
      actor: user
        ? { kind: 'user', id: user.sub, roles: [...user.roles] }
        : { kind: 'user', id: 'anonymous' },
      action,
      outcome,
      source: {
        ip: socket.handshake.address,
        ...(typeof userAgent === 'string' ? { userAgent } : {}),
      },
      details: {
        socketId: socket.id,
        ...(what.namespace ? { namespace: what.namespace } : {}),
        ...(what.code ? { code: what.code } : {}),
        ...(user?.sid ? { sessionId: user.sid } : {}),
        ...(user?.unitId ? { unitId: user.unitId } : {}),
      },
      ...(what.object ? { object: what.object } : {}),
      ...(what.reason ? { reason: what.reason } : {}),
    };
    try {
      await this.recorder.write(input);
    } catch (error) {
      this.logger.error({ action, error: (error as Error).message }, 'audit entry not recorded');
    }
  }
}
