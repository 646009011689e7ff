import type { Envelope } from '../envelope/envelope.schema';
import type { IncidentCreatedV1 } from '../events/incident-created/v1';

export const Namespaces = {
  Dispatch: '/dispatch',
  Field: '/field',
} as const;

/** Socket error event payload: every rejected socket message answers with a code. */
export interface SocketError {
  code: string;
  message: string;
}

/** Events the server emits on `/dispatch` (domain events are forwarded in their envelope). */
export interface DispatchServerToClientEvents {
  'incident.created': (event: Envelope<IncidentCreatedV1>) => void;
  error: (error: SocketError) => void;
}

export type DispatchClientToServerEvents = Record<string, never>;

export const roomOf = {
  agency: (id: string) => `agency:${id}`,
  incident: (id: string) => `incident:${id}`,
  unit: (id: string) => `unit:${id}`,
  user: (id: string) => `user:${id}`,
};
