/** The RPC deadline passed before a reply arrived. */
export class RpcTimeoutError extends Error {
  override readonly name = 'RpcTimeoutError';
  readonly code = 'rpc_timeout';

  constructor(
    readonly service: string,
    readonly pattern: string,
    readonly timeoutMs: number,
  ) {
    super(`rpc ${service}/${pattern} got no reply within ${timeoutMs} ms`);
  }
}

/** The remote handler failed; `code` is its error code (`internal_error` when it had none). */
export class RpcRemoteError extends Error {
  override readonly name = 'RpcRemoteError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The bus was closed while the operation was pending. */
export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  readonly code = 'bus_closed';

  constructor(what: string) {
    super(`${what}: the bus is closed`);
  }
}
