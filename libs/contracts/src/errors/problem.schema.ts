import { z } from 'zod';
import { text, num } from '../primitives/primitives.schema';

/** One validation failure, located by an RFC 6901 JSON pointer into the request. */
export const problemFieldErrorSchema = z.object({
  pointer: text(),
  message: text(),
  code: text().optional(),
});

/** RFC 9457 problem details, as every REST error body (`application/problem+json`). */
export const problemSchema = z.object({
  type: text(),
  title: text(),
  status: num().int().min(400).max(599),
  detail: text().optional(),
  instance: text().optional(),
  /** Stable machine-readable code, e.g. `validation_failed`, `incident_not_found`. */
  code: text(),
  traceId: text().optional(),
  errors: z.array(problemFieldErrorSchema).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
export type ProblemFieldError = z.infer<typeof problemFieldErrorSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Codes shared by every service; modules add their own. */
export const CommonErrorCode = {
  ValidationFailed: 'validation_failed',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Conflict: 'conflict',
  PayloadTooLarge: 'payload_too_large',
  RateLimited: 'rate_limited',
  Overloaded: 'overloaded',
  UpstreamTimeout: 'upstream_timeout',
  /** A service behind the edge failed in a way it did not name (its cause is logged, not sent). */
  UpstreamUnavailable: 'upstream_unavailable',
  /** A database statement ran past its statement timeout (e.g. a report over a very large range). */
  QueryTimeout: 'query_timeout',
  Internal: 'internal_error',
} as const;
export type CommonErrorCode = (typeof CommonErrorCode)[keyof typeof CommonErrorCode];

/**
 * Our error codes are lower snake case (`incident_not_found`). Anything else — a PostgreSQL SQLSTATE
 * (`22003`, `XX000`), a Node error (`ECONNRESET`) — is an internal cause: it is logged and traced,
 * never sent to a client as a problem `code` or over the bus as an RPC error code.
 */
export const STABLE_ERROR_CODE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

export function isStableErrorCode(code: unknown): code is string {
  return typeof code === 'string' && code.length <= 100 && STABLE_ERROR_CODE.test(code);
}
