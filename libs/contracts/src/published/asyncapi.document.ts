import { z } from 'zod';
import { envelopeSchema } from '../envelope/envelope.schema';
import { AUDIT_EVENTS_STREAM } from '../events/audit-checkpoint/v1';
import { EventSchemas } from '../events/event-registry';
import { Namespaces } from '../realtime/dispatch-namespace';
import { fieldHandshakeAuthSchema } from '../realtime/field-namespace';
import { Streams } from '../streams/streams';
import { API_CONTRACT_VERSION } from './openapi.document';
import { pascalCase, toJsonSchema, type JsonSchema } from './json-schema';
import {
  catchUpResultSchema,
  dispatchClientEvents,
  dispatchServerEvents,
  fieldClientEvents,
  fieldServerEvents,
  type SocketEvent,
} from './socket-events';

/**
 * The stream each event type travels on (docs/architecture.md, Streams and events, and each event's
 * doc comment). Matched by exact type first, then by prefix; an event type matching nothing is
 * documented on `gad:dispatch:events`, where most domain events live.
 */
const eventStreamRules: [match: string, stream: string][] = [
  ['positions.reported', Streams.GeoPositions],
  ['unit.moved', Streams.GeoEvents],
  ['geofence.', Streams.GeoEvents],
  ['command.acknowledged', Streams.FieldAcks],
  ['command.issued', Streams.NotifyOutbound],
  ['notice.', Streams.NotifyOutbound],
  ['assignment.unacknowledged', Streams.NotifyEvents],
  ['audit.', AUDIT_EVENTS_STREAM],
];

export function streamOfEvent(type: string): string {
  const exact = eventStreamRules.find(([match]) => match === type);
  const prefix = eventStreamRules.find(([match]) => match.endsWith('.') && type.startsWith(match));
  return (exact ?? prefix)?.[1] ?? Streams.DispatchEvents;
}

const streamKey = (stream: string): string => pascalCase(stream.replace(/^gad:/, ''));
const lowerFirst = (text: string): string => text[0].toLowerCase() + text.slice(1);

/**
 * The AsyncAPI 3.0 document of GAD Dispatch: one channel per Redis stream with every event type and
 * version that travels on it (the UUIDv7 envelope with `type`/`version` fixed and `data` from the
 * event registry), and the socket.io namespaces `/dispatch` and `/field` with their events.
 * Generated from `@gad/contracts`; committed as `docs/asyncapi.json`.
 */
export function buildAsyncApiDocument(): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const schemas: Record<string, JsonSchema> = {
    Envelope: toJsonSchema(envelopeSchema, 'output', 'draft-07'),
  };
  const streamMessages = new Map<string, string[]>();
  for (const stream of [...Object.values(Streams), AUDIT_EVENTS_STREAM]) {
    streamMessages.set(stream, []);
  }

  for (const [type, versions] of Object.entries(EventSchemas)) {
    for (const [version, schema] of Object.entries(versions as Record<string, z.ZodType>)) {
      const name = `${pascalCase(type)}V${version}`;
      const stream = streamOfEvent(type);
      schemas[`${name}Data`] = toJsonSchema(schema, 'output', 'draft-07');
      messages[name] = {
        name: type,
        title: `${type} v${version}`,
        summary: `\`${type}\` version ${version} on \`${stream}\``,
        contentType: 'application/json',
        payload: envelopeOf(type, Number(version), `#/components/schemas/${name}Data`),
      };
      streamMessages.set(stream, [...(streamMessages.get(stream) ?? []), name]);
    }
  }

  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const messageRefs = (names: string[]) =>
    Object.fromEntries(names.map((name) => [name, { $ref: `#/components/messages/${name}` }]));
  const operationRefs = (channel: string, names: string[]) =>
    names.map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));

  for (const [stream, names] of streamMessages) {
    const key = lowerFirst(streamKey(stream));
    channels[key] = {
      address: stream,
      title: stream,
      description:
        `Redis stream \`${stream}\` (dead letters in \`${stream}:dlq\`). Each entry is an envelope; ` +
        'consumers validate `data` for its `type`/`version` and are idempotent by `id`.',
      servers: [{ $ref: '#/servers/redis' }],
      messages: messageRefs(names),
    };
    if (names.length > 0) {
      operations[`consume${streamKey(stream)}`] = {
        action: 'receive',
        title: `Consume ${stream}`,
        summary: `A consumer group reads ${stream}`,
        channel: { $ref: `#/channels/${key}` },
        messages: operationRefs(key, names),
      };
    }
  }

  // Socket.io namespaces (from a client's point of view: it receives server events, sends its own).
  // A forwarded domain event reuses the stream's message (same envelope, event name = `type`).
  const socketMessages = (prefix: string, events: Record<string, SocketEvent>): string[] =>
    Object.entries(events).map(([event, { summary, payload }]) => {
      if ('envelopeOf' in payload) {
        const latest = Math.max(...Object.keys(EventSchemas[payload.envelopeOf]).map(Number));
        return `${pascalCase(payload.envelopeOf)}V${latest}`;
      }
      const name = `${prefix}${pascalCase(event)}`;
      schemas[`${name}Payload`] = toJsonSchema(payload, 'input', 'draft-07');
      messages[name] = {
        name: event,
        summary,
        contentType: 'application/json',
        payload: { $ref: `#/components/schemas/${name}Payload` },
      };
      return name;
    });
  schemas['FieldHandshakeAuth'] = toJsonSchema(fieldHandshakeAuthSchema, 'input', 'draft-07');
  schemas['DispatchCatchUpResult'] = toJsonSchema(catchUpResultSchema, 'output', 'draft-07');
  const namespaces = [
    {
      key: 'dispatchNamespace',
      address: Namespaces.Dispatch,
      description:
        'Dispatch consoles. Access token in the handshake `auth` (`{ token }`); the socket joins ' +
        'its agency’s room and receives the agency’s feed: every domain event a console shows ' +
        '(incidents, units, assignments and their escalations, acknowledgements, geofence ' +
        'events) in its envelope (socket event name = `type`) with a second argument ' +
        '`{ feedId }`, its id in the agency’s feed; `subscribe` adds an incident’s or a zone’s ' +
        'room. After a reconnect `catch_up { lastEventId }` replays the feed after that id in ' +
        'order (ack `DispatchCatchUpResult`), or answers `resync_required` when the id is older ' +
        'than the feed’s window (the newest `WS_FEED_MAX_LEN` events of the agency, default ' +
        '10,000, kept `WS_FEED_TTL_S` after the last one): reload over REST, then follow. ' +
        'A malformed handshake field or id claim is refused with `invalid_handshake` (`issues` ' +
        'name it).',
      server: socketMessages('Dispatch', dispatchServerEvents),
      client: socketMessages('Dispatch', dispatchClientEvents),
    },
    {
      key: 'fieldNamespace',
      address: Namespaces.Field,
      description:
        'Field devices. Handshake `auth` is `FieldHandshakeAuth`: the token and `lastSeq` / ' +
        '`lastUserSeq`, the newest seqs of the unit’s and the user’s command logs the device ' +
        'handled. On every (re)connection both logs are replayed in order after those seqs; a seq ' +
        'not sent counts as 0 (the whole retained log), and `resync` comes first when commands ' +
        'after it are gone. Devices drop seqs they already handled. A malformed seq is refused ' +
        'with `invalid_handshake` (`issues` name it).',
      server: socketMessages('Field', fieldServerEvents),
      client: socketMessages('Field', fieldClientEvents),
    },
  ];
  for (const namespace of namespaces) {
    channels[namespace.key] = {
      address: namespace.address,
      title: `socket.io ${namespace.address}`,
      description: namespace.description,
      servers: [{ $ref: '#/servers/wsGateway' }],
      messages: messageRefs([...new Set([...namespace.server, ...namespace.client])]),
    };
    const title = pascalCase(namespace.key);
    operations[`receive${title}Events`] = {
      action: 'receive',
      title: `Events a client receives on ${namespace.address}`,
      channel: { $ref: `#/channels/${namespace.key}` },
      messages: operationRefs(namespace.key, namespace.server),
    };
    if (namespace.client.length > 0) {
      operations[`send${title}Events`] = {
        action: 'send',
        title: `Events a client sends on ${namespace.address}`,
        channel: { $ref: `#/channels/${namespace.key}` },
        messages: operationRefs(namespace.key, namespace.client),
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'GAD Dispatch events',
      version: API_CONTRACT_VERSION,
      description:
        'Redis streams between the GAD Dispatch services and the socket.io namespaces of ' +
        'ws-gateway, generated from the zod schemas of `@gad/contracts`. REST is in the OpenAPI ' +
        'document served at `/docs`.',
      license: { name: 'UNLICENSED' },
    },
    defaultContentType: 'application/json',
    servers: {
      redis: {
        host: '127.0.0.1:6379',
        protocol: 'redis',
        description: 'Redis 7 (streams, consumer groups, dead-letter streams)',
      },
      wsGateway: {
        host: '127.0.0.1:3001',
        protocol: 'ws',
        description: 'ws-gateway (socket.io 4, websocket transport with long-polling fallback)',
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

/** The envelope JSON schema with `type` and `version` fixed and `data` pointing at the data schema. */
function envelopeOf(type: string, version: number, dataRef: string): JsonSchema {
  return {
    allOf: [
      { $ref: '#/components/schemas/Envelope' },
      {
        type: 'object',
        properties: {
          type: { const: type },
          version: { const: version },
          data: { $ref: dataRef },
        },
        required: ['data'],
      },
    ],
  };
}
