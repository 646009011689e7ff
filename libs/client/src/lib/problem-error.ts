import { problemSchema, type Problem } from '@gad/contracts';

/** Codes the client itself produces (the server's own codes come in its problem+json). */
export const ClientErrorCode = {
  /** No HTTP answer: connection refused or reset, DNS failure, CORS refusal... */
  NetworkError: 'network_error',
  /** No answer within `timeoutMs`. */
  Timeout: 'timeout',
  /** A success answer whose body does not match the operation's response schema. */
  InvalidResponse: 'invalid_response',
  /** `freshAccessToken`: no token can be had (refresh refused or impossible): log in again. */
  SessionEnded: 'session_ended',
} as const;

/** A REST call that answered with an RFC 9457 problem (or something we turned into one). */
export class GadProblemError extends Error {
  constructor(
    readonly problem: Problem,
    /** Server-requested wait (`Retry-After`) in ms, for 429 and 503. */
    readonly retryAfterMs?: number,
  ) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'GadProblemError';
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }

  /** Field errors of a 422 `validation_failed` (JSON pointers into the request). */
  get errors(): NonNullable<Problem['errors']> {
    return this.problem.errors ?? [];
  }

  get traceId(): string | undefined {
    return this.problem.traceId;
  }
}

export function isGadProblemError(error: unknown, code?: string): error is GadProblemError {
  return error instanceof GadProblemError && (code === undefined || error.code === code);
}

/** A problem the client made up (network failure, timeout, unexpected body). */
export function clientProblem(code: string, status: number, detail: string): GadProblemError {
  return new GadProblemError({
    type: `urn:gad:problem:${code}`,
    title: code.replace(/_/g, ' '),
    status,
    code,
    detail,
  });
}

/** Builds the error for a non-2xx response, whether or not its body is problem+json. */
export async function problemFromResponse(
  response: Response,
  retryAfterMs?: number,
): Promise<GadProblemError> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = problemSchema.safeParse(body);
  if (parsed.success) {
    return new GadProblemError(parsed.data, retryAfterMs);
  }
  return new GadProblemError(
    {
      type: 'about:blank',
      title: response.statusText || 'Unexpected response',
      status: response.status >= 400 && response.status <= 599 ? response.status : 500,
      code: 'unexpected_response',
      detail: text.slice(0, 500),
    },
    retryAfterMs,
  );
}
