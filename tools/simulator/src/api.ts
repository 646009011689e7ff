import * as gad from '@gad/client';
import type { GadRestClient, WithMeta } from '@gad/client';
import type { OperationId } from '@gad/contracts';

/** Logs a message once per key (missing routes, repeated errors) so the status line stays readable. */
export class OnceLog {
  private readonly seen = new Set<string>();

  constructor(private readonly write: (line: string) => void) {}

  log(key: string, line: string): void {
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.write(line);
    }
  }
}

/**
 * Calls an operation of the registry by id when the client (that is, the contracts it was built
 * from) has it, so the simulator keeps working while routes are being added: a missing operation
 * (or a gateway that answers 404 `not_found` for the route) is logged once and yields `undefined`.
 */
export class Api {
  private readonly missing = new Set<string>();

  constructor(
    readonly client: GadRestClient,
    private readonly once: OnceLog,
  ) {}

  has(operationId: string): boolean {
    return operationId in this.client.ops && !this.missing.has(operationId);
  }

  async call<T>(
    operationId: string,
    input: object = {},
    options: { idempotencyKey?: string } = {},
  ): Promise<WithMeta<T> | undefined> {
    if (!this.has(operationId)) {
      this.once.log(`missing:${operationId}`, `route ${operationId} is not available: skipping it`);
      return undefined;
    }
    try {
      return (await this.client.call(
        operationId as OperationId,
        input as never,
        options,
      )) as WithMeta<T>;
    } catch (error) {
      if (gad.isGadProblemError(error) && error.status === 404 && error.code === 'not_found') {
        const detail = error.problem.detail ?? '';
        if (/route/i.test(detail)) {
          this.missing.add(operationId);
          this.once.log(`404:${operationId}`, `route ${operationId} answers 404: skipping it`);
          return undefined;
        }
      }
      throw error;
    }
  }
}
