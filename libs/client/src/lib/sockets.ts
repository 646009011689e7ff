import {
  DISPATCH_FEED_EVENTS,
  Namespaces,
  SocketErrorCodes,
  type CatchUpResult,
  type CommandAckStage,
  type DeliveredCommand,
  type DispatchClientToServerEvents,
  type DispatchServerToClientEvents,
  type Envelope,
  type FeedEntry,
  type FeedMeta,
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
import { isGadProblemError } from './problem-error';
import { nextDelayMs, type RetryOptions } from './retry';

export type DispatchSocket = Socket<DispatchServerToClientEvents, DispatchClientToServerEvents>;
export type FieldSocket = Socket<FieldServerToClientEvents, FieldClientToServerEvents>;

/** What a token function is told on each connection attempt. */
export interface TokenRequest {
  /** Attempts since the socket was last connected, from 1. */
  attempt: number;
  /**
   * The server refused or closed the previous socket because of its token (`token_expired`,
   * `unauthenticated`): return a new token, not a cached one.
   */
  renew: boolean;
}

/**
 * The connection as an application shows it. Each change is reported once, in this order:
 * `connecting` → `connected`, or `connecting` → `down` (with why, and when the next attempt is)
 * → `connecting` ... until `stopped`.
 */
export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'connected' }
  | {
      status: 'down';
      /** Stable reason: see {@link ConnectionDownReasons}. */
      reason: string;
      message: string;
      /** Failed attempts in a row (0 when a connected socket just dropped). */
      attempt: number;
      /** The next attempt starts in this many ms. */
      retryInMs: number;
    }
  | { status: 'stopped'; reason: string; message: string };

/** Reasons of `down` (the client tries again) and `stopped` (it does not) states. */
export const ConnectionDownReasons = {
  /** The token function threw (login throttled, token service down...), or returned no token. */
  TokenUnavailable: 'token_unavailable',
  /** No connection to the gateway (refused, reset, DNS) or the transport failed. */
  Unreachable: 'unreachable',
  /** An attempt got no answer within `connectTimeoutMs`. */
  ConnectTimeout: 'connect_timeout',
  /** A connected socket lost its connection (transport close or error, ping timeout). */
  ConnectionLost: 'connection_lost',
  /** The server closed the socket without saying why. */
  ServerDisconnect: 'server_disconnect',
  /** `close()` / `socket.disconnect()` was called: stopped. */
  Closed: 'closed',
  /** The token function rejected with a 401/403 problem (session over): stopped. */
  CredentialsRejected: 'credentials_rejected',
} as const;
// The server's own codes are reasons too: the handshake refusal's `connect_error.data.code`, or
// the `notice` sent before the server closed the socket (`token_expired`, `shutting_down`, ...).

/**
 * Server codes after which a socket stops trying, because nothing a retry or a new token of the
 * same session could change: `forbidden` (the token's roles or claims do not allow the namespace),
 * `session_revoked` (logout, disabled user, token reuse) and `invalid_handshake` (a malformed
 * handshake field or id claim). Every other code, and every transport failure, is retried.
 */
export const TERMINAL_SOCKET_CODES: readonly string[] = [
  SocketErrorCodes.Forbidden,
  SocketErrorCodes.SessionRevoked,
  'invalid_handshake',
];

export interface ReconnectOptions {
  /** Smallest delay before another attempt, ms. Default 500. */
  baseDelayMs?: number;
  /** Largest delay between attempts, ms (also caps a server's `retryAfterMs`). Default 10 000. */
  maxDelayMs?: number;
  /** An attempt without an answer (connected or refused) within this long failed. Default 20 000. */
  connectTimeoutMs?: number;
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  connectTimeoutMs: 20_000,
};

export interface ConnectOptions {
  /** Base URL of a ws-gateway instance (or its load balancer), e.g. `http://127.0.0.1:3001`. */
  url: string;
  /**
   * Access token, sent in the handshake `auth` (never in the query string). A function is called
   * before every connection attempt and should return a valid token, renewing it when asked
   * (`request.renew`): `(request) => api.freshAccessToken(request)`. When it throws, no handshake
   * is sent and the attempt counts as failed; a 401/403 problem means the session is over (stop).
   * A fixed string cannot be renewed: the socket stops once the server says it expired.
   */
  token: string | ((request: TokenRequest) => string | Promise<string>);
  /** Websocket first; long-polling stays available as the fallback. */
  transports?: ('websocket' | 'polling')[];
  /** Deadline of acknowledged emits (default 5 s). */
  ackTimeoutMs?: number;
  /** Backoff between attempts (jittered, capped). */
  reconnect?: ReconnectOptions;
  /** Every change of the connection's state (show it, log it). */
  onState?: (state: ConnectionState) => void;
}

type ConnectError = Error & { data?: { code?: string; message?: string } };

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A token function's failure that no retry can fix: the session is over. */
function credentialsRejected(error: unknown): boolean {
  return isGadProblemError(error) && (error.status === 401 || error.status === 403);
}

/**
 * Keeps one socket connected until it is told to stop: gets a token before every attempt (never
 * sends a handshake without one), and after any failure or drop tries again with jittered,
 * capped exponential backoff ({@link nextDelayMs}), except after a terminal server code
 * ({@link TERMINAL_SOCKET_CODES}), a rejected session or `close()`. socket.io's own reconnection
 * is off: it reconnects a dropped transport but gives up for good on a refused handshake.
 */
class Reconnector {
  state: ConnectionState = { status: 'connecting', attempt: 0 };
  private readonly backoff: Required<RetryOptions>;
  private readonly connectTimeoutMs: number;
  private attempt = 0;
  private delayMs = 0;
  private renew = false;
  private notice: ServerNotice | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private token = '';
  private stopped = false;
  /** An attempt or a connection is under way: its end (refusal, drop, timeout) is handled once. */
  private live = false;
  private readonly disconnectSocket: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectOptions,
    handshake: () => Record<string, unknown>,
  ) {
    const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.backoff = {
      retries: Number.POSITIVE_INFINITY,
      baseDelayMs: reconnect.baseDelayMs,
      maxDelayMs: reconnect.maxDelayMs,
    };
    this.connectTimeoutMs = reconnect.connectTimeoutMs;
    socket.auth = (callback) => callback({ token: this.token, ...handshake() });
    // `socket.disconnect()` / `close()` by the application stop the reconnection too.
    const original = socket.disconnect.bind(socket);
    this.disconnectSocket = () => void original();
    socket.disconnect = () => {
      this.stop(ConnectionDownReasons.Closed, 'closed by the application');
      return original();
    };
    socket.on('connect', () => this.onConnect());
    socket.on('connect_error', (error: ConnectError) => this.onConnectError(error));
    socket.on('notice', (notice: ServerNotice) => {
      this.notice = notice;
    });
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
  }

  start(): void {
    void this.tryConnect();
  }

  stop(reason: string, message: string): void {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.connectTimer);
    this.setState({ status: 'stopped', reason, message });
  }

  private async tryConnect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) {
      return;
    }
    this.attempt += 1;
    this.setState({ status: 'connecting', attempt: this.attempt });
    const { token } = this.options;
    let value: string;
    try {
      value =
        typeof token === 'function'
          ? await token({ attempt: this.attempt, renew: this.renew })
          : token;
    } catch (error) {
      if (credentialsRejected(error)) {
        this.stop(ConnectionDownReasons.CredentialsRejected, describeError(error));
      } else {
        const wait = isGadProblemError(error) ? error.retryAfterMs : undefined;
        this.retry(ConnectionDownReasons.TokenUnavailable, describeError(error), wait);
      }
      return;
    }
    if (this.stopped) {
      return;
    }
    if (typeof value !== 'string' || value.length === 0) {
      this.retry(ConnectionDownReasons.TokenUnavailable, 'the token function returned no token');
      return;
    }
    this.token = value;
    this.renew = false; // a new token was had: renew again only if the server refuses this one
    this.notice = undefined;
    this.live = true;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (this.live && !this.socket.connected && !this.stopped) {
        this.live = false;
        this.disconnectSocket(); // not connected: no `disconnect` event, the engine is closed
        this.retry(
          ConnectionDownReasons.ConnectTimeout,
          `no answer in ${this.connectTimeoutMs} ms`,
        );
      }
    }, this.connectTimeoutMs);
    this.socket.connect();
  }

  private onConnect(): void {
    clearTimeout(this.connectTimer);
    this.attempt = 0;
    this.delayMs = 0;
    this.renew = false;
    this.setState({ status: 'connected' });
  }

  private onConnectError(error: ConnectError): void {
    clearTimeout(this.connectTimer);
    if (this.stopped || !this.live) {
      return;
    }
    this.live = false;
    const code = error.data?.code;
    const message = error.data?.message ?? error.message;
    if (code && TERMINAL_SOCKET_CODES.includes(code)) {
      this.stop(code, message);
      return;
    }
    if (code === SocketErrorCodes.Unauthenticated) {
      if (typeof this.options.token !== 'function') {
        this.stop(code, `${message} (a fixed token cannot be renewed)`);
        return;
      }
      this.renew = true;
    }
    this.retry(code ?? ConnectionDownReasons.Unreachable, message);
  }

  private onDisconnect(reason: Socket.DisconnectReason): void {
    clearTimeout(this.connectTimer);
    const notice = this.notice;
    this.notice = undefined;
    if (this.stopped || !this.live) {
      return;
    }
    this.live = false;
    const wasConnected = this.state.status === 'connected';
    if (reason === 'io client disconnect') {
      this.stop(ConnectionDownReasons.Closed, 'closed by the application');
      return;
    }
    if (wasConnected) {
      this.attempt = 0;
    }
    if (notice && TERMINAL_SOCKET_CODES.includes(notice.code)) {
      this.stop(notice.code, notice.message);
      return;
    }
    if (notice?.code === SocketErrorCodes.TokenExpired) {
      if (typeof this.options.token !== 'function') {
        this.stop(notice.code, `${notice.message} (a fixed token cannot be renewed)`);
        return;
      }
      this.renew = true;
    }
    const code =
      notice?.code ??
      (reason === 'io server disconnect'
        ? ConnectionDownReasons.ServerDisconnect
        : ConnectionDownReasons.ConnectionLost);
    this.retry(code, notice?.message ?? reason, notice?.retryAfterMs);
  }

  /** `down`, then another attempt after the next backoff delay (at least `minDelayMs`, capped). */
  private retry(reason: string, message: string, minDelayMs = 0): void {
    if (this.stopped) {
      return;
    }
    this.delayMs = nextDelayMs(Math.max(this.delayMs, this.backoff.baseDelayMs), this.backoff);
    const retryInMs = Math.min(this.backoff.maxDelayMs, Math.max(this.delayMs, minDelayMs));
    this.setState({ status: 'down', reason, message, attempt: this.attempt, retryInMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.tryConnect(), retryInMs);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    try {
      this.options.onState?.(state);
    } catch {
      // A listener's failure must not stop the reconnection.
    }
  }
}

/** One socket on its own connection (`forceNew`): a server closing one never closes another. */
function openSocket(namespace: string, options: ConnectOptions): Socket {
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  return io(new URL(namespace, options.url).toString(), {
    transports: options.transports ?? ['websocket', 'polling'],
    forceNew: true,
    autoConnect: false,
    reconnection: false,
    timeout: reconnect.connectTimeoutMs,
  });
}

/**
 * Connects a dispatch console to `/dispatch`, on its own connection, and keeps it connected (see
 * {@link ConnectOptions.token} and the README's reconnect contract); `socket.disconnect()` stops it.
 */
export function connectDispatch(options: ConnectOptions): DispatchSocket {
  const socket = openSocket(Namespaces.Dispatch, options);
  new Reconnector(socket, options, () => ({})).start();
  return socket as DispatchSocket;
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

export interface DispatchFeedOptions extends ConnectOptions {
  /**
   * Newest feed id the console handled (persist it to survive a page reload). Without it the feed
   * is followed from the feed's newest id at the first connection: load the state over REST once
   * `onCaughtUp` has been called (events after that id still reach `onEvent`; apply them by their
   * `version` / timestamps, since the REST answer may already include some of them).
   */
  lastEventId?: string;
  /**
   * Every event of the agency's feed (incidents, units, assignments, acknowledgements,
   * escalations, geofence events) exactly once and in feed order, live or caught up after a
   * reconnect; `feedId` is where it sits in the feed.
   */
  onEvent?: (event: Envelope, feedId: string) => void;
  /**
   * Events after the console's last id are no longer held (offline longer than the feed's window,
   * or the feed restarted): reload the state over REST; the feed goes on from `lastEventId`.
   */
  onResync?: (info: { reason: string; lastEventId: string }) => void;
  /** After each (re)connection's catch-up: how many events it replayed. */
  onCaughtUp?: (info: { replayed: number; lastEventId: string }) => void;
  /** Events asked for per `catch_up` page (default 200, at most 500). */
  catchUpPageSize?: number;
}

export interface DispatchFeed {
  readonly socket: DispatchSocket;
  /** Newest feed id handed to `onEvent` (or followed from); persist it to resume after a reload. */
  readonly lastEventId: string | undefined;
  /** The connection's current state (changes are reported to `onState`). */
  readonly state: ConnectionState;
  /** Disconnects and stops reconnecting (also `socket.disconnect()`). */
  close(): void;
}

/** Orders two feed ids (`<ms>-<n>`, decimal, no leading zeros): negative when `a` is older. */
export function compareFeedIds(a: string, b: string): number {
  const [am = '', as = ''] = a.split('-');
  const [bm = '', bs = ''] = b.split('-');
  const numeric = (x: string, y: string) =>
    x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
  return numeric(am, bm) || numeric(as, bs);
}

/** Envelope ids remembered against a bus redelivery that reached the feed twice. */
const SEEN_EVENT_IDS = 2_000;

/**
 * Connects a console to `/dispatch` and follows its agency's feed across reconnects (the
 * "catch-up" contract, docs/architecture.md): after every (re)connection it asks `catch_up` for
 * the events after the last one it handled, hands them to `onEvent` in feed order, then the live
 * events that arrived meanwhile (held back until then), each once. When the events it missed are
 * older than the feed's window it calls `onResync` (reload over REST) and follows on.
 */
export function connectDispatchFeed(options: DispatchFeedOptions): DispatchFeed {
  const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  let lastEventId = options.lastEventId;
  let catchingUp = true;
  let held: FeedEntry[] = [];
  const seen = new Set<string>();
  const socket = openSocket(Namespaces.Dispatch, options) as DispatchSocket;
  const reconnector = new Reconnector(socket as unknown as Socket, options, () => ({}));

  const deliver = (entry: FeedEntry): void => {
    if (lastEventId !== undefined && compareFeedIds(entry.feedId, lastEventId) <= 0) {
      return; // handled already (caught up, or live before a replay that repeated it)
    }
    lastEventId = entry.feedId;
    if (seen.has(entry.event.id)) {
      return; // the same event appended twice (a redelivered stream entry)
    }
    seen.add(entry.event.id);
    if (seen.size > SEEN_EVENT_IDS) {
      seen.delete(seen.values().next().value as string);
    }
    try {
      options.onEvent?.(entry.event, entry.feedId);
    } catch {
      // An application's failure must not stop the feed.
    }
  };

  const live = (event: Envelope, meta: FeedMeta | undefined): void => {
    if (!meta?.feedId) {
      return;
    }
    const entry = { feedId: meta.feedId, event };
    if (catchingUp) {
      held.push(entry);
    } else {
      deliver(entry);
    }
  };
  for (const name of DISPATCH_FEED_EVENTS) {
    (socket as unknown as Socket).on(name, live);
  }

  const catchUp = async (): Promise<void> => {
    let replayed = 0;
    for (;;) {
      let answer: ({ ok: true } & CatchUpResult) | { ok: false; error?: { code: string } };
      try {
        answer = await socket.timeout(ackTimeoutMs).emitWithAck('catch_up', {
          ...(lastEventId !== undefined ? { lastEventId } : {}),
          ...(options.catchUpPageSize ? { limit: options.catchUpPageSize } : {}),
        });
      } catch {
        answer = { ok: false };
      }
      if (!socket.connected) {
        return; // the next connection catches up again
      }
      if (!answer.ok && answer.error?.code === SocketErrorCodes.InvalidPayload) {
        // A last event id the server cannot read (a corrupt persisted value): start over.
        lastEventId = undefined;
        options.onResync?.({ reason: 'invalid_last_event_id', lastEventId: '0-0' });
        continue;
      }
      if (!answer.ok) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (!socket.connected) {
          return;
        }
        continue;
      }
      if (answer.status === 'resync_required') {
        lastEventId = answer.lastEventId;
        options.onResync?.({ reason: answer.reason, lastEventId: answer.lastEventId });
        break;
      }
      if (lastEventId === undefined) {
        lastEventId = answer.lastEventId; // a fresh console follows from the feed's newest id
      }
      for (const entry of answer.events) {
        deliver(entry);
        replayed += 1;
      }
      if (!answer.more) {
        break;
      }
    }
    const waiting = held.sort((a, b) => compareFeedIds(a.feedId, b.feedId));
    held = [];
    catchingUp = false;
    waiting.forEach(deliver);
    options.onCaughtUp?.({ replayed, lastEventId: lastEventId ?? '0-0' });
  };

  socket.on('connect', () => {
    catchingUp = true;
    void catchUp();
  });
  socket.on('disconnect', () => {
    catchingUp = true;
  });
  reconnector.start();
  return {
    socket,
    get lastEventId() {
      return lastEventId;
    },
    get state() {
      return reconnector.state;
    },
    close: () => {
      socket.disconnect();
    },
  };
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
  /** The connection's current state (changes are reported to `onState`). */
  readonly state: ConnectionState;
  /** Disconnects and stops reconnecting (also `socket.disconnect()`). */
  close(): void;
}

/** Commands whose `traceparent` a field connection keeps for their acks. */
const MAX_TRACED_COMMANDS = 1_000;

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
 * Connects a field device to `/field`, on its own connection, and keeps it connected (see
 * {@link ConnectOptions.token} and the README's reconnect contract). Every (re)connection sends
 * the last seqs handled, so the gateway (any instance) replays what was missed; commands reach
 * `onCommand` once each, in order, and are acked `delivered` automatically; a lasting gap asks
 * for a `resume`. Acks carry the `traceparent` their command arrived with (docs/adr/0020).
 */
export function connectField(options: FieldConnectOptions): FieldConnection {
  const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  const gapTimeoutMs = options.gapTimeoutMs ?? 1_000;
  let gapTimer: ReturnType<typeof setTimeout> | undefined;

  // The trace each command arrived in, returned on its acks so they join the dispatcher's trace
  // (the newest commands only: an ack of an older one starts its own trace).
  const traces = new Map<string, string>();
  const handle = (command: DeliveredCommand): void => {
    if (command.traceparent) {
      traces.set(command.commandId, command.traceparent);
      if (traces.size > MAX_TRACED_COMMANDS) {
        traces.delete(traces.keys().next().value as string);
      }
    }
    if (options.autoAckDelivered ?? true) {
      void connection.ack(command.commandId, 'delivered').catch(() => undefined);
    }
    options.onCommand?.(command);
  };
  const logs = {
    unit: new SeqOrderer(options.lastSeq ?? 0, handle),
    user: new SeqOrderer(options.lastUserSeq ?? 0, handle),
  };

  const socket = openSocket(Namespaces.Field, options) as FieldSocket;
  const reconnector = new Reconnector(socket as unknown as Socket, options, () => ({
    lastSeq: logs.unit.last,
    lastUserSeq: logs.user.last,
  }));

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
    ack: (commandId, stage, reason) => {
      const traceparent = traces.get(commandId);
      return socket.timeout(ackTimeoutMs).emitWithAck('command.ack', {
        commandId,
        stage,
        ...(reason ? { reason } : {}),
        ...(traceparent ? { traceparent } : {}),
      });
    },
    reportPositions: (fixes) => socket.timeout(ackTimeoutMs).emitWithAck('position', fixes),
    resume: () =>
      socket
        .timeout(ackTimeoutMs)
        .emitWithAck('resume', { lastSeq: logs.unit.last, lastUserSeq: logs.user.last }),
    get state() {
      return reconnector.state;
    },
    close: () => {
      clearTimeout(gapTimer);
      socket.disconnect();
    },
  };
  reconnector.start();
  return connection;
}
