/**
 * Redis stream names (docs/architecture.md, Streams and events). Each has a dead-letter stream
 * `<name>:dlq`.
 */
export const Streams = {
  DispatchEvents: 'gad:dispatch:events',
  GeoPositions: 'gad:geo:positions',
  GeoEvents: 'gad:geo:events',
  FieldAcks: 'gad:field:acks',
  NotifyOutbound: 'gad:notify:outbound',
  /** notification-service's own events (`assignment.unacknowledged`), docs/adr/0028. */
  NotifyEvents: 'gad:notify:events',
} as const;
export type StreamName = (typeof Streams)[keyof typeof Streams];

export const dlqOf = (stream: string): string => `${stream}:dlq`;

/** Request stream of a service's RPC handlers: `gad:rpc:<service>`. */
export const rpcStreamOf = (service: string): string => `gad:rpc:${service}`;

/** BullMQ queue names. */
export const Queues = {
  Audit: 'audit',
} as const;
