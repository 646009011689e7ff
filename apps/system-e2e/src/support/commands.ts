import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EventTypes,
  type CommandIssuedV1,
  type Envelope,
  type Recipient,
} from '@gad/contracts';
import type { Socket } from 'socket.io-client';

/**
 * A `command.issued` envelope as notification-service publishes it on `gad:notify:outbound`
 * (what ws-gateway delivers to the recipient's devices); `commandId` is fresh each call.
 */
export function commandIssued(
  agencyId: string,
  recipient: Recipient,
  title: string,
  { critical = true }: { critical?: boolean } = {},
): Envelope<CommandIssuedV1> {
  return createEnvelope<CommandIssuedV1>({
    type: EventTypes.CommandIssued,
    agencyId,
    actor: { kind: 'service', id: 'notification-service' },
    data: {
      commandId: randomUUID(),
      recipient,
      kind: 'dispatch',
      critical,
      title,
      body: `${title} body`,
      locale: 'en',
      issuedAt: new Date().toISOString(),
    },
  });
}

/** Resolves once the socket is connected (at once if it is); rejects on its `connect_error`. */
export function connected(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (socket.connected) {
      resolve();
      return;
    }
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}
