import type { SocketAck } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import type { ConnectionService } from './connection.service';
import type { AuthedSocket, NamespacePolicy } from './socket-auth';
import { WsException } from './ws.exception';

/** Handles one client event's payload; the result (plus `ok: true`) is the ack. */
export type MessageHandler = (
  socket: AuthedSocket,
  payload: unknown,
) => Promise<Record<string, unknown>>;

type Ack = (result: SocketAck<Record<string, unknown>>) => void;

const logger = createLogger('socket-messages');

/**
 * Installs one socket.io middleware that rate-limits every incoming packet and routes it to the
 * namespace's handlers. A rejected message (rate limit, unknown event, bad payload, refused) gets an
 * `error` event with a code and, when the client passed an ack callback, `{ ok: false, error }`;
 * neither the socket nor the process is affected. Nothing is passed on to other listeners.
 */
export function installMessageRouter(
  socket: AuthedSocket,
  policy: NamespacePolicy,
  connections: ConnectionService,
  handlers: Readonly<Record<string, MessageHandler>>,
): void {
  socket.use((packet) => {
    const [event, ...args] = packet as unknown[];
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
    const name = typeof event === 'string' ? event.slice(0, 64) : '?';
    if (!connections.admitMessage(socket, policy, name)) {
      ack?.({ ok: false, error: WsException.rateLimited().toSocketError(name) });
      return;
    }
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (!handler) {
      reject(socket, connections, name, WsException.unknownEvent(name), ack);
      return;
    }
    handler(socket, args[0]).then(
      (result) => ack?.({ ok: true, ...result }),
      (error: unknown) => {
        if (!(error instanceof WsException)) {
          logger.warn({ err: error, event: name }, 'socket message failed');
        }
        const failure = error instanceof WsException ? error : WsException.unavailable();
        reject(socket, connections, name, failure, ack);
      },
    );
  });
}

function reject(
  socket: AuthedSocket,
  connections: ConnectionService,
  event: string,
  error: WsException,
  ack: Ack | undefined,
): void {
  const payload = error.toSocketError(event);
  connections.sendError(socket, payload);
  ack?.({ ok: false, error: payload });
}
