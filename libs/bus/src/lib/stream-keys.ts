import { dlqOf, rpcStreamOf } from '@gad/contracts';

/** Field names of stream entries (see README "Envelope on the wire"). */
export const Fields = {
  Envelope: 'envelope',
  ReplyTo: 'replyTo',
  Deadline: 'deadline',
  CorrelationId: 'correlationId',
  Reply: 'reply',
} as const;

/** Hash tag of the bus keys on a Redis Cluster: every stream of a deployment in one slot. */
export const BUS_HASH_TAG = '{bus}';

/**
 * Stream names are given without the prefix; these build the Redis keys.
 *
 * On a Redis Cluster (`cluster: true`) every stream key, its `:dlq` and the RPC streams carry the
 * hash tag `{bus}` after the deployment prefix (`<prefix>{bus}:gad:dispatch:events`), so the
 * commands that name several of them stay on one slot: XREADGROUP over all the streams a
 * consumer reads and the MULTI that appends to the DLQ and XACKs the original. Idempotency keys
 * are single-key and stay untagged so they spread over the shards. Standalone keys are unchanged.
 * Why one tag and not one per stream: docs/adr/0002-redis-cluster.md.
 */
export class StreamKeys {
  /** The prefix of stream keys: `prefix`, plus `{bus}:` on a cluster. */
  readonly streamPrefix: string;

  constructor(
    readonly prefix = '',
    readonly cluster = false,
  ) {
    this.streamPrefix = cluster ? `${prefix}${BUS_HASH_TAG}:` : prefix;
  }

  stream(name: string): string {
    return `${this.streamPrefix}${name}`;
  }

  dlq(name: string): string {
    return dlqOf(this.stream(name));
  }

  rpc(service: string): string {
    return this.stream(rpcStreamOf(service));
  }

  rpcReply(instanceId: string): string {
    return this.stream(`gad:rpc:reply:${instanceId}`);
  }

  idempotency(group: string, envelopeId: string): string {
    return `${this.prefix}gad:idem:${group}:${envelopeId}`;
  }
}

/** `[field, value, field, value, ...]` as returned by XREAD*, to a record. */
export function fieldsToRecord(fields: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(fields)) {
    return record;
  }
  for (let i = 0; i + 1 < fields.length; i += 2) {
    record[String(fields[i])] = String(fields[i + 1]);
  }
  return record;
}

export type StreamEntry = [id: string, fields: Record<string, string>];

/** Parses `[[key, [[id, fields], ...]], ...]` from XREAD/XREADGROUP. */
export function parseStreamsReply(reply: unknown): Array<[key: string, entries: StreamEntry[]]> {
  if (!Array.isArray(reply)) {
    return [];
  }
  return reply.map((item) => {
    const [key, entries] = item as [unknown, unknown];
    return [String(key), parseEntries(entries)];
  });
}

/** Parses `[[id, fields], ...]`; entries deleted meanwhile (null fields) are skipped. */
export function parseEntries(entries: unknown): StreamEntry[] {
  if (!Array.isArray(entries)) {
    return [];
  }
  const parsed: StreamEntry[] = [];
  for (const entry of entries) {
    const [id, fields] = entry as [unknown, unknown];
    if (fields !== null && fields !== undefined) {
      parsed.push([String(id), fieldsToRecord(fields)]);
    }
  }
  return parsed;
}
