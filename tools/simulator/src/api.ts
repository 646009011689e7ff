import * as gad from '@gad/client';
import type { GadRestClient, WithMeta } from '@gad/client';
import type { DeliveredCommand, OperationId } from '@gad/contracts';

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

/** What the simulator needs of `connectField` (ws-gateway's `/field` helper in @gad/client). */
export interface FieldConnectionLike {
  readonly socket: {
    connected: boolean;
    on(event: 'connect' | 'disconnect', listener: () => void): unknown;
  };
  ack(
    commandId: string,
    stage: 'delivered' | 'seen' | 'accepted' | 'declined',
    reason?: string,
  ): Promise<unknown>;
  reportPositions(fixes: unknown): Promise<unknown>;
  close(): void;
}
export type ConnectField = (options: {
  url: string;
  token: () => string;
  transports?: ('websocket' | 'polling')[];
  autoAckDelivered?: boolean;
  onCommand?: (command: DeliveredCommand) => void;
}) => FieldConnectionLike;

/** `connectField` when this build of @gad/client has it (positions then go over `/field`). */
export function fieldConnector(): ConnectField | undefined {
  const candidate = (gad as unknown as Record<string, unknown>)['connectField'];
  return typeof candidate === 'function' ? (candidate as ConnectField) : undefined;
}
