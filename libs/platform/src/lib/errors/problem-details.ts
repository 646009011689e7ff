import { STATUS_CODES } from 'node:http';
import {
  CommonErrorCode,
  isStableErrorCode,
  type Problem,
  type ProblemFieldError,
} from '@gad/contracts';
import { HttpException } from '@nestjs/common';
import { DomainException } from './domain.exception';

/** Problem `type` URI of a code. */
export function problemType(code: string): string {
  return `urn:gad:problem:${code}`;
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: CommonErrorCode.Unauthenticated,
  403: CommonErrorCode.Forbidden,
  404: CommonErrorCode.NotFound,
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: CommonErrorCode.Conflict,
  412: 'precondition_failed',
  413: CommonErrorCode.PayloadTooLarge,
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: CommonErrorCode.ValidationFailed,
  428: 'precondition_required',
  429: CommonErrorCode.RateLimited,
  431: 'headers_too_large',
  500: CommonErrorCode.Internal,
  502: CommonErrorCode.UpstreamUnavailable,
  503: CommonErrorCode.Overloaded,
  504: CommonErrorCode.UpstreamTimeout,
};

/** The stable code used for a bare HTTP status (framework errors without a domain code). */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? `http_${status}`;
}

export interface ProblemContext {
  /** Request path, without the query string. */
  instance?: string;
  traceId?: string;
}

export interface MappedProblem {
  problem: Problem & Record<string, unknown>;
  /** True for errors the server did not expect (5xx): log them with their stack. */
  unexpected: boolean;
}

const INTERNAL_DETAIL = 'An unexpected error occurred.';

/** Longest `instance` and `detail` a problem carries: a 10 KB path is not echoed back. */
export const MAX_PROBLEM_INSTANCE_LENGTH = 200;
export const MAX_PROBLEM_DETAIL_LENGTH = 500;

/** `value` cut to `max` characters (an ellipsis marks the cut), never splitting a surrogate pair. */
export function boundedText(value: string, max: number): string {
  if (value.length <= max) {
    return value;
  }
  let end = max - 1;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    end -= 1;
  }
  return `${value.slice(0, end)}\u2026`;
}
const STANDARD_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'traceId',
  'errors',
]);

function build(
  status: number,
  code: string,
  detail: string | undefined,
  context: ProblemContext,
  errors?: ProblemFieldError[],
  extensions?: Record<string, unknown>,
): Problem & Record<string, unknown> {
  const extra = Object.fromEntries(
    Object.entries(extensions ?? {}).filter(([key]) => !STANDARD_MEMBERS.has(key)),
  );
  return {
    ...extra,
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    ...(detail === undefined ? {} : { detail: boundedText(detail, MAX_PROBLEM_DETAIL_LENGTH) }),
    ...(context.instance === undefined
      ? {}
      : { instance: boundedText(context.instance, MAX_PROBLEM_INSTANCE_LENGTH) }),
    code,
    ...(context.traceId === undefined ? {} : { traceId: context.traceId }),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') {
    return message;
  }
  if (Array.isArray(message)) {
    return message.map(String).join('; ');
  }
  return exception.message;
}

const QUERY_TIMEOUT_DETAIL =
  'The query ran longer than this service allows. Narrow the request (e.g. a shorter range) or try again later.';

/** PostgreSQL cancelled the statement at its `statement_timeout` (SQLSTATE 57014). */
function isStatementTimeout(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) {
    return false;
  }
  const record = exception as { code?: unknown; driverError?: { code?: unknown } };
  return (record.driverError?.code ?? record.code) === '57014';
}

/** A client error raised by Fastify itself (content-type parsers, body limit) that Nest did not wrap. */
function clientErrorStatus(exception: unknown): number | undefined {
  if (!(exception instanceof Error)) {
    return undefined;
  }
  const status = (exception as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Maps any thrown value to an RFC 9457 problem; unknown errors reveal nothing internal: a client
 * only ever sees one of our stable codes (a domain exception whose code is not — a PostgreSQL
 * SQLSTATE, say — is answered as 500 `internal_error`), and `instance`/`detail` are bounded.
 */
export function toProblem(exception: unknown, context: ProblemContext): MappedProblem {
  if (exception instanceof DomainException && !isStableErrorCode(exception.code)) {
    // Not one of our codes (a SQLSTATE that leaked into an exception): an internal failure.
    return {
      problem: build(500, CommonErrorCode.Internal, INTERNAL_DETAIL, context),
      unexpected: true,
    };
  }
  if (exception instanceof DomainException) {
    const status = exception.status >= 400 && exception.status <= 599 ? exception.status : 500;
    return {
      problem: build(
        status,
        exception.code,
        exception.detail,
        context,
        exception.errors,
        exception.extensions,
      ),
      unexpected: status >= 500,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const valid = status >= 400 && status <= 599;
    const effective = valid ? status : 500;
    const detail =
      effective >= 500 && effective !== 503 && effective !== 504
        ? INTERNAL_DETAIL
        : httpExceptionDetail(exception);
    return {
      problem: build(effective, codeForStatus(effective), detail, context),
      unexpected: effective >= 500,
    };
  }
  if (isStatementTimeout(exception)) {
    return {
      problem: build(503, CommonErrorCode.QueryTimeout, QUERY_TIMEOUT_DETAIL, context),
      // Logged with its cause: an SRE sees which statement outgrew its timeout.
      unexpected: true,
    };
  }
  const clientStatus = clientErrorStatus(exception);
  if (clientStatus !== undefined) {
    return {
      problem: build(
        clientStatus,
        codeForStatus(clientStatus),
        (exception as Error).message,
        context,
      ),
      unexpected: false,
    };
  }
  return {
    problem: build(500, CommonErrorCode.Internal, INTERNAL_DETAIL, context),
    unexpected: true,
  };
}
