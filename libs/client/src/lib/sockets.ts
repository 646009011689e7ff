import {
  Namespaces,
  type DispatchClientToServerEvents,
  type DispatchServerToClientEvents,
} from '@gad/contracts';
import { io, type Socket } from 'socket.io-client';

export type DispatchSocket = Socket<DispatchServerToClientEvents, DispatchClientToServerEvents>;

export interface ConnectOptions {
  /** Base URL of a ws-gateway instance, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** Access token, sent in the handshake `auth` (never in the query string). */
  token: string | (() => string | Promise<string>);
  /** Websocket first; long-polling stays available as the fallback. */
  transports?: ('websocket' | 'polling')[];
}

/** Connects a dispatch console to `/dispatch` with reconnection and jittered backoff. */
export function connectDispatch(options: ConnectOptions): DispatchSocket {
  const { token } = options;
  return io(new URL(Namespaces.Dispatch, options.url).toString(), {
    transports: options.transports ?? ['websocket', 'polling'],
    auth: (callback) => {
      Promise.resolve(typeof token === 'function' ? token() : token).then(
        (value) => callback({ token: value }),
        () => callback({}),
      );
    },
    reconnectionDelay: 500,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5,
  });
}
