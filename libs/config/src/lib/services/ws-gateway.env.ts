/*
 * ws-gateway's environment: the schema it loads at boot (`ws-gateway.config.ts`) and the one
 * docker/test holds compose and the k8s overlays to. Variables are listed in the app's README.
 */
import { z } from 'zod';
import { corsEnvSchema, envInt, serviceEnvSchema } from '../env-schemas';

export const wsGatewayEnvSchema = serviceEnvSchema.extend({
  /** CORS_ORIGINS, CORS_ALLOW_CREDENTIALS: browser consoles on other origins. */
  ...corsEnvSchema.shape,
  PORT: envInt(3001, 1, 65535),
  /** Public key (SPKI PEM, or the private key PEM in development) that verifies access tokens. */
  JWT_PUBLIC_KEY: z
    .string()
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => /-----BEGIN (PUBLIC|PRIVATE) KEY-----/.test(value), {
      message: 'must be a PEM key',
    }),
  JWT_ISSUER: z.string().min(1).default('gad-dispatch'),
  JWT_AUDIENCE: z.string().min(1).default('gad-dispatch'),
  /** Name of this instance in consumer groups and logs (defaults to host:port). */
  INSTANCE_ID: z.string().min(1).optional(),
  /** Sockets one user may hold across every instance and both namespaces. */
  WS_MAX_SOCKETS_PER_USER: envInt(5, 1, 1000),
  /**
   * How often this instance tells the others it is alive, and how often it looks for dead ones. An
   * instance silent for three periods is dead: its sockets stop counting towards their users'
   * limit, and the survivors take over the stream entries it had read and not acknowledged (so a
   * command it held reaches its device within four periods plus handling: 3 s by default).
   */
  WS_INSTANCE_HEARTBEAT_MS: envInt(500, 100, 60_000),
  /** Largest socket.io frame (bytes); bigger frames close the connection. */
  WS_MAX_PAYLOAD_BYTES: envInt(16 * 1024, 1024, 1024 * 1024),
  /** Token bucket per socket: refill rate (messages per second) and burst. */
  WS_RATE_PER_SECOND: envInt(20, 1, 10_000),
  WS_RATE_BURST: envInt(20, 1, 10_000),
  /** Rate-limited messages within `WS_ABUSE_WINDOW_MS` after which the socket is disconnected. */
  WS_ABUSE_LIMIT: envInt(100, 1, 1_000_000),
  WS_ABUSE_WINDOW_MS: envInt(10_000, 100, 600_000),
  WS_PING_INTERVAL_MS: envInt(25_000, 1_000, 300_000),
  WS_PING_TIMEOUT_MS: envInt(20_000, 1_000, 300_000),
  /** Packets queued for one socket beyond which it is closed (it resumes after reconnecting). */
  WS_SEND_BUFFER_MAX_PACKETS: envInt(1_000, 10, 1_000_000),
  /** Coalescing period of unit positions to consoles. */
  WS_POSITIONS_BATCH_MS: envInt(500, 50, 10_000),
  /** Command log retention per recipient: newest N commands, none older than the age. */
  WS_COMMAND_LOG_MAX_LEN: envInt(1_000, 1, 1_000_000),
  WS_COMMAND_LOG_MAX_AGE_S: envInt(86_400, 1, 30 * 86_400),
  /**
   * The console feed of each agency (`catch_up` on `/dispatch`): the newest N events (trimmed
   * approximately, never below N), and the whole feed dropped after this long without an event.
   */
  WS_FEED_MAX_LEN: envInt(10_000, 100, 1_000_000),
  WS_FEED_TTL_S: envInt(86_400, 60, 30 * 86_400),
  /** Delay window clients are told to spread their reconnects over when this instance stops. */
  WS_RECONNECT_JITTER_MS: envInt(5_000, 0, 120_000),
});
