import { z } from 'zod';
import { num, text, timestamp } from '../primitives/primitives.schema';
import { UUID_V7_PATTERN, uuidv7 } from './uuidv7';
import { actorSchema, type Actor } from './actor.schema';
import { rpcAuditSchema, type RpcAudit } from '../rpc/rpc-audit.schema';

/** W3C Trace Context `traceparent` header value. */
export const traceparentSchema = text().regex(
  /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/,
  'must be a W3C traceparent',
);

export { actorSchema, type Actor } from './actor.schema';

/**
 * Every message on a stream travels in this envelope. `id` is the idempotency key: consumers
 * must treat a second delivery of the same id as already handled.
 */
export const envelopeSchema = z.object({
  id: text().regex(UUID_V7_PATTERN, 'must be a UUIDv7'),
  type: text().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'must look like noun.verb'),
  version: num().int().min(1),
  occurredAt: timestamp(),
  agencyId: text().min(1).max(100),
  actor: actorSchema,
  traceparent: traceparentSchema.optional(),
  /**
   * RPC requests of a change only: the audit entry of the request that caused it, recorded by the
   * serving service in the transaction of the change (docs/adr/0021). Absent on events and reads.
   */
  audit: rpcAuditSchema.optional(),
  data: z.unknown(),
});
export type Envelope<TData = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & {
  data: TData;
};

export interface NewEnvelope<TData> {
  type: string;
  version?: number;
  agencyId: string;
  actor: Actor;
  data: TData;
  traceparent?: string;
  occurredAt?: Date;
  id?: string;
  audit?: RpcAudit;
}

export function createEnvelope<TData>(input: NewEnvelope<TData>): Envelope<TData> {
  const occurredAt = input.occurredAt ?? new Date();
  return {
    id: input.id ?? uuidv7(occurredAt.getTime()),
    type: input.type,
    version: input.version ?? 1,
    occurredAt: occurredAt.toISOString(),
    agencyId: input.agencyId,
    actor: input.actor,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    ...(input.audit ? { audit: input.audit } : {}),
    data: input.data,
  };
}

/** Trace id (32 hex) of a traceparent, for logs and tests. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}
