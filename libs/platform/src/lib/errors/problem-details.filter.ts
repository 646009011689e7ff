import { PROBLEM_CONTENT_TYPE } from '@gad/contracts';
import { createLogger, currentTraceId, type Logger } from '@gad/observability';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from './problem-details';

/**
 * Global HTTP filter: every error leaves as `application/problem+json` with `code`, `traceId` and
 * `instance`. Unexpected errors are logged with their stack and answered with a generic 500. A
 * problem carrying `retryAfter` (seconds: 429, 503) also sets the `Retry-After` header.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger = createLogger('problem-details')) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw exception;
    }
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const instance = request.url.split('?')[0];
    const { problem, unexpected } = toProblem(exception, { instance, traceId: currentTraceId() });
    if (unexpected) {
      this.logger.error(
        { err: exception, method: request.method, path: instance, status: problem.status },
        'request failed',
      );
    } else {
      this.logger.debug(
        { method: request.method, path: instance, status: problem.status, code: problem.code },
        'request rejected',
      );
    }
    if (reply.sent) {
      return;
    }
    const retryAfter = problem['retryAfter'];
    if (typeof retryAfter === 'number' && retryAfter > 0 && !reply.hasHeader('retry-after')) {
      void reply.header('retry-after', String(Math.ceil(retryAfter)));
    }
    void reply
      .status(problem.status)
      .header('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
      .send(JSON.stringify(problem));
  }
}
