import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { toRpcError } from './rpc.client';

/**
 * Keeps an error's string `code` and message in bus RPC replies. Nest's default RPC filter turns
 * every non-`RpcException` into "Internal server error" before the transport sees it; register this
 * filter on the microservice (`app.useGlobalFilters(new BusRpcExceptionFilter())`) so
 * `throw Object.assign(new Error('no unit'), { code: 'not_found' })` reaches the caller as
 * `RpcRemoteError { code: 'not_found' }`. Codes that are not ours (a PostgreSQL SQLSTATE, a Node error
 * code) leave as `internal_error` with a generic message (see `toRpcError`). Event handlers are unaffected (their errors still fail the
 * delivery).
 */
@Catch()
export class BusRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof RpcException) {
      const inner = exception.getError();
      return throwError(() =>
        typeof inner === 'object' && inner !== null ? toRpcError(inner) : toRpcError(undefined),
      );
    }
    return throwError(() => toRpcError(exception));
  }
}
