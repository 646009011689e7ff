import type { IncomingMessage } from 'node:http';
import type { CorsSettings } from '@gad/config';

/**
 * Response headers a browser console must read: `ETag` (then `If-Match`), `x-trace-id` and
 * `x-request-id` (support), `Retry-After` (429/503 backoff), `Location` (created resources) and
 * `Idempotent-Replayed` (a repeated create answered from the idempotency store).
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = Object.freeze([
  'ETag',
  'x-trace-id',
  'x-request-id',
  'Retry-After',
  'Location',
  'Idempotent-Replayed',
]);

/** Request headers a console sends beyond the CORS-safelisted ones. */
export const CORS_ALLOWED_HEADERS: readonly string[] = Object.freeze([
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'Idempotency-Key',
  'traceparent',
  'tracestate',
  'x-request-id',
]);

export const CORS_METHODS: readonly string[] = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
]);

/** How long a browser may cache a preflight answer (seconds). */
export const CORS_MAX_AGE_S = 600;

/** True when `origin` may call: listed exactly, or `*` is listed. */
export function corsOriginAllowed(settings: CorsSettings, origin: string | undefined): boolean {
  if (!origin) {
    return false;
  }
  return settings.origins.includes('*') || settings.origins.includes(origin);
}

/**
 * Options for Nest's `app.enableCors()` (on Fastify: `@fastify/cors`), or undefined when no
 * origin is configured (no CORS headers at all). An origin that is not allowed gets an answer
 * without `Access-Control-Allow-Origin`, so the browser keeps it from the page.
 */
export function restCorsOptions(settings: CorsSettings) {
  if (settings.origins.length === 0) {
    return undefined;
  }
  return {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, corsOriginAllowed(settings, origin)),
    credentials: settings.credentials,
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    maxAge: CORS_MAX_AGE_S,
    // Answer preflights with 204 before routing, auth or rate limits.
    preflightContinue: false,
    optionsSuccessStatus: 204,
  };
}

/**
 * socket.io server options: `cors` for the long-polling transport, and `allowRequest` refusing a
 * handshake (HTTP 403, `connect_error`) whose `Origin` is neither allowed nor the gateway's own
 * host. Websocket upgrades are not subject to CORS in browsers, so the origin is checked here.
 * Requests without an `Origin` (devices, services: not browsers) are let through to the token
 * check as before.
 */
export function socketCorsOptions(settings: CorsSettings) {
  return {
    cors:
      settings.origins.length === 0
        ? undefined
        : {
            origin: settings.origins.includes('*') ? '*' : [...settings.origins],
            credentials: settings.credentials,
            methods: ['GET', 'POST'],
            allowedHeaders: [...CORS_ALLOWED_HEADERS],
          },
    allowRequest: (
      request: IncomingMessage,
      callback: (error: string | null | undefined, success: boolean) => void,
    ) => {
      const origin = request.headers.origin;
      const allowed =
        origin === undefined ||
        corsOriginAllowed(settings, origin) ||
        sameHost(origin, request.headers.host);
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
