import { randomUUID } from 'node:crypto';
import {
  COMMAND_LOG_APPEND_SCRIPT,
  commandAppendCall,
  createEnvelope,
  EventTypes,
  type CommandIssuedV1,
  type Envelope,
  type Recipient,
} from '@gad/contracts';
import type { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';

/**
 * A `command.issued` envelope as notification-service relays it (what ws-gateway delivers to the
 * recipient's devices); `commandId` is fresh each call.
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

/**
 * Issues a command the way notification-service's relay does (docs/adr/0020): one call of the
 * command log script appends it to the recipient's log and publishes it to every ws-gateway
 * instance. Resolves with its seq.
 */
export async function relayCommand(
  redis: Redis,
  prefix: string,
  envelope: Envelope<CommandIssuedV1>,
): Promise<number> {
  const { keys, args } = commandAppendCall(prefix, envelope, Date.now(), {
    maxLen: 1_000,
    maxAgeMs: 86_400_000,
  });
  const [seq] = (await redis.eval(COMMAND_LOG_APPEND_SCRIPT, 3, ...keys, ...args)) as [number];
  return Number(seq);
}
