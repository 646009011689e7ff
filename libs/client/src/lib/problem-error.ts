import { problemSchema, type Problem } from '@gad/contracts';

/** A REST call that answered with an RFC 9457 problem (or something we turned into one). */
export class GadProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'GadProblemError';
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/** Builds the error for a non-2xx response, whether or not its body is problem+json. */
export async function problemFromResponse(response: Response): Promise<GadProblemError> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = problemSchema.safeParse(body);
  if (parsed.success) {
    return new GadProblemError(parsed.data);
  }
  return new GadProblemError({
    type: 'about:blank',
    title: response.statusText || 'Unexpected response',
    status: response.status >= 400 && response.status <= 599 ? response.status : 500,
    code: 'unexpected_response',
    detail: text.slice(0, 500),
  });
}
