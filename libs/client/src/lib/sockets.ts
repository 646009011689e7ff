import {
  Namespaces,
  SocketErrorCodes,
  type CommandAckStage,
  type DeliveredCommand,
  type DispatchClientToServerEvents,
  type DispatchServerToClientEvents,
  type FieldClientToServerEvents,
  type FieldServerToClientEvents,
  type PositionFix,
  type PositionResult,
  type ResumeResult,
  type ResyncNotice,
  type ServerNotice,
  type SocketAck,
  type SubscriptionRequest,
} from '@gad/contracts';
import { io, type Socket } from 'socket.io-client';

export type DispatchSocket = Socket<DispatchServerToClientEvents, DispatchClientToServerEvents>;
export type FieldSocket = Socket<FieldServerToClientEvents, FieldClientToServerEvents>;

export interface ConnectOptions {
  /** Base URL of a ws-gateway instance (or its load balancer), e.g. `http://127.0.0.1:3001`. */
  url: string;
  /**
   * Access token, sent in the handshake `auth` (never in the query string). A function is called
   * on every (re)connection, so it can return a refreshed token.
   */
  token: string | (() => string | Promise<string>);
  /** Websocket first; long-polling stays available as the fallback. */
  transports?: ('websocket' | 'polling')[];
  /** Deadline of acknowledged emits (default 5 s). */
  ackTimeoutMs?: number;
}

const reconnection = {
  reconnectionDelay: 500,
  reconnectionDelayMax: 10_000,
  randomizationFactor: 0.5,
} as const;

function resolveToken(token: ConnectOptions['token']): Promise<string> {
  return Promise.resolve(typeof token === 'function' ? token() : token);
}

/**
 * After the server closes a socket because the token expired, socket.io does not reconnect by
 * itself; with a token function (that refreshes) the helper reconnects once with a new token.
 */
function reconnectAfterExpiry(socket: Socket, token: ConnectOptions['token']): void {
  let lastNotice: ServerNotice | undefined;
  socket.on('notice', (notice: ServerNotice) => {
    lastNotice = notice;
  });
  socket.on('disconnect', (reason) => {
    const expired = lastNotice?.code === SocketErrorCodes.TokenExpired;
    lastNotice = undefined;
    if (reason === 'io server disconnect' && expired && typeof token === 'function') {
      setTimeout(() => socket.connect(), 100 + Math.random() * 900);
    }
  });
}

/** Connects a dispatch console to `/dispatch` with reconnection and jittered backoff. */
export function connectDispatch(options: ConnectOptions): DispatchSocket {
  const { token } = options;
  const socket: DispatchSocket = io(new URL(Namespaces.Dispatch, options.url).toString(), {
    transports: options.transports ?? ['websocket', 'polling'],
    auth: (callback) => {
      resolveToken(token).then(
        (value) => callback({ token: value }),
        () => callback({}),
      );
    },
    ...reconnection,
  });
  reconnectAfterExpiry(socket as unknown as Socket, token);
  return socket;
}

/** `subscribe` to an incident's or zone's events (the ack says which room, or why not). */
export function subscribe(
  socket: DispatchSocket,
  request: SubscriptionRequest,
  timeoutMs = 5_000,
): Promise<SocketAck<{ room: string }>> {
  return socket.timeout(timeoutMs).emitWithAck('subscribe', request);
}

export function unsubscribe(
  socket: DispatchSocket,
  request: SubscriptionRequest,
  timeoutMs = 5_000,
): Promise<SocketAck<{ room: string }>> {
  return socket.timeout(timeoutMs).emitWithAck('unsubscribe', request);
}

export interface FieldConnectOptions extends ConnectOptions {
  /** Last seq of the unit's command log the device handled (persist it); default 0 = all retained. */
  lastSeq?: number;
  /** Last seq of the user's own command log; default 0. */
  lastUserSeq?: number;
  /** Ack `delivered` for every command as it is handed to `onCommand` (default true). */
  autoAckDelivered?: boolean;
  /** Each command exactly once per seq and in seq order per log (unit, user). */
  onCommand?: (command: DeliveredCommand) => void;
  /** Commands were lost to retention (or the log restarted): reload the unit's state over REST. */
  onResync?: (notice: ResyncNotice) => void;
  /** A gap in the seqs not filled within this time triggers a `resume` (default 1 s). */
  gapTimeoutMs?: number;
}

export interface FieldConnection {
  readonly socket: FieldSocket;
  /** Highest seq handed to `onCommand` in order, per log. */
  readonly lastSeq: number;
  readonly lastUserSeq: number;
  ack(commandId: string, stage: CommandAckStage, reason?: string): Promise<SocketAck>;
  reportPositions(fixes: PositionFix | PositionFix[]): Promise<SocketAck<PositionResult>>;
  /** Asks the server to replay everything after the current seqs. */
  resume(): Promise<SocketAck<ResumeResult>>;
  close(): void;
}

/** In-order, duplicate-free delivery of one recipient log's commands. */
class SeqOrderer {
  private readonly early = new Map<number, DeliveredCommand>();

  constructor(
    public last: number,
    private readonly deliver: (command: DeliveredCommand) => void,
  ) {}

  /** Returns true when a gap remains (a later seq is waiting for an earlier one). */
  push(command: DeliveredCommand): boolean {
    if (command.seq > this.last) {
      this.early.set(command.seq, command);
    }
    this.drain();
    return this.early.size > 0;
  }

  resync(notice: ResyncNotice): void {
    this.last = notice.oldestSeq > 0 ? notice.oldestSeq - 1 : notice.currentSeq;
    for (const seq of [...this.early.keys()]) {
      if (seq <= this.last) {
        this.early.delete(seq);
      }
    }
    this.drain();
  }

  private drain(): void {
    let next = this.early.get(this.last + 1);
    while (next) {
      this.early.delete(next.seq);
      this.last = next.seq;
      this.deliver(next);
      next = this.early.get(this.last + 1);
    }
  }
}

/**
 * Connects a field device to `/field`. Every (re)connection sends the last seqs handled, so the
 * gateway (any instance) replays what was missed; commands reach `onCommand` once each, in order,
 * and are acked `delivered` automatically; a lasting gap asks for a `resume`.
 */
export function connectField(options: FieldConnectOptions): FieldConnection {
  const { token } = options;
  const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  const gapTimeoutMs = options.gapTimeoutMs ?? 1_000;
  let gapTimer: ReturnType<typeof setTimeout> | undefined;

  const handle = (command: DeliveredCommand): void => {
    if (options.autoAckDelivered ?? true) {
      void connection.ack(command.commandId, 'delivered').catch(() => undefined);
    }
    options.onCommand?.(command);
  };
  const logs = {
    unit: new SeqOrderer(options.lastSeq ?? 0, handle),
    user: new SeqOrderer(options.lastUserSeq ?? 0, handle),
  };

  const socket: FieldSocket = io(new URL(Namespaces.Field, options.url).toString(), {
    transports: options.transports ?? ['websocket', 'polling'],
    auth: (callback) => {
      resolveToken(token).then(
        (value) => callback({ token: value, lastSeq: logs.unit.last, lastUserSeq: logs.user.last }),
        () => callback({}),
      );
    },
    ...reconnection,
  });
  reconnectAfterExpiry(socket as unknown as Socket, token);

  socket.on('command', (command) => {
    const gap = logs[command.recipient.kind].push(command);
    if (gap && !gapTimer) {
      gapTimer = setTimeout(() => {
        gapTimer = undefined;
        if (socket.connected) {
          void connection.resume().catch(() => undefined);
        }
      }, gapTimeoutMs);
    }
  });
  socket.on('resync', (notice) => {
    logs[notice.recipient.kind].resync(notice);
    options.onResync?.(notice);
  });

  const connection: FieldConnection = {
    socket,
    get lastSeq() {
      return logs.unit.last;
    },
    get lastUserSeq() {
      return logs.user.last;
    },
    ack: (commandId, stage, reason) =>
      socket
        .timeout(ackTimeoutMs)
        .emitWithAck('command.ack', { commandId, stage, ...(reason ? { reason } : {}) }),
    reportPositions: (fixes) => socket.timeout(ackTimeoutMs).emitWithAck('position', fixes),
    resume: () =>
      socket
        .timeout(ackTimeoutMs)
        .emitWithAck('resume', { lastSeq: logs.unit.last, lastUserSeq: logs.user.last }),
    close: () => {
      clearTimeout(gapTimer);
      socket.disconnect();
    },
  };
  return connection;
}
