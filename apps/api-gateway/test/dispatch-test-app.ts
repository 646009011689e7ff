import { createPrivateKey } from 'node:crypto';
import {
  createEnvelope,
  type AccessClaims,
  type CommandAckStage,
  type CommandAcknowledgedV1,
  type Envelope,
  type Role,
} from '@gad/contracts';
import {
  createTestDatabase,
  createTestKeyPair,
  freePort,
  startServiceProcess,
  testStack,
  uniqueRedisPrefix,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@gad/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { Client } from 'pg';
import { apiGatewayEnvSchema, type ApiGatewayConfig } from '../src/api-gateway.config';
import { startApiGateway } from '../src/bootstrap';

process.env['LOG_LEVEL'] ??= 'fatal';
// @fastify/static (Swagger UI at /docs) requires the ESM-only content-disposition, which Jest on
// Node 20 cannot load; the docs routes are tested in contracts-docs.spec.ts.
jest.mock('content-disposition', () => ({ create: () => 'attachment' }));

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Caller {
  claims: AccessClaims;
  token: string;
}

/**
 * The api-gateway booted in-process through `startApiGateway` (real Fastify, the bus transport for
 * acks, a PostgreSQL database of its own, Redis under a key prefix of its own), with access tokens
 * signed by the test's key for any agency, user and roles.
 */
export class DispatchTestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly baseUrl: string,
    readonly config: ApiGatewayConfig,
    readonly db: TestDatabase,
    readonly pg: Client,
    /** Reads streams (keys without prefix: the client adds it). */
    readonly redis: Redis,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<DispatchTestApp> {
    const db = await createTestDatabase();
    const prefix = env['REDIS_KEY_PREFIX'] ?? uniqueRedisPrefix();
    const port = await freePort();
    const raw = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: testStack.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      JWT_PRIVATE_KEY: createTestKeyPair().privateKeyPem,
      OUTBOX_POLL_MS: '50',
      RATE_LIMIT_USER_POINTS: '100000',
      RATE_LIMIT_IP_POINTS: '100000',
      ...env,
    };
    const config = apiGatewayEnvSchema.parse(raw);
    const app = await startApiGateway(config, {
      handleSignals: false,
      instanceId: `api-gateway-it:${prefix}`,
      env: raw,
    });
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const redis = new Redis(config.REDIS_URL, { keyPrefix: prefix, maxRetriesPerRequest: 1 });
    return new DispatchTestApp(app, `http://127.0.0.1:${port}`, config, db, pg, redis);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.pg.end();
    this.redis.disconnect();
    await this.db.drop();
  }

  async caller(agencyId: string, sub: string, roles: Role[], unitId?: string): Promise<Caller> {
    const claims: AccessClaims = { sub, agencyId, roles, ...(unitId ? { unitId } : {}) };
    const token = await new SignJWT({ agencyId, roles, ...(unitId ? { unitId } : {}) })
      .setProtectedHeader({ alg: 'ES256', kid: this.config.JWT_KEY_ID, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(createPrivateKey(this.config.JWT_PRIVATE_KEY));
    return { claims, token };
  }

  async send<T = Record<string, unknown>>(
    caller: Caller | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const all: Record<string, string> = { accept: 'application/json', ...headers };
    if (caller) all['authorization'] = `Bearer ${caller.token}`;
    if (body !== undefined) all['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  /** Envelopes relayed to a stream so far (oldest first). */
  async streamed(stream = 'gad:dispatch:events'): Promise<Envelope[]> {
    const entries = await this.redis.xrange(stream, '-', '+');
    return entries.map(
      ([, fields]) => JSON.parse(fields[fields.indexOf('envelope') + 1]) as Envelope,
    );
  }

  /** Waits until the relay published an envelope matching `match`. */
  async waitForEvent<T = unknown>(
    match: (envelope: Envelope<T>) => boolean,
    description: string,
    stream?: string,
  ): Promise<Envelope<T>> {
    return waitFor(
      async () => (await this.streamed(stream)).find((e) => match(e as Envelope<T>)) as Envelope<T>,
      { description },
    );
  }

  /** Envelopes in the outbox table (sent or not), oldest first. */
  async outbox(): Promise<Envelope[]> {
    const { rows } = await this.pg.query<{ envelope: Envelope }>(
      'SELECT envelope FROM dispatch.outbox ORDER BY id',
    );
    return rows.map((row) => row.envelope);
  }
}

/** geo-service beside a {@link DispatchTestApp}: the built app as a process on its own database. */
export interface GeoServiceBeside {
  process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * Starts geo-service (the built app) on the gateway's test database and its Redis and key
 * prefix, so nearest, plan and replay requests reach a real geo-service; `stop()` stops it (the
 * database goes with the gateway's `close()`).
 */
export async function startGeoServiceBeside(t: DispatchTestApp): Promise<GeoServiceBeside> {
  const process = await startServiceProcess({
    app: 'geo-service',
    env: {
      // The gateway's database, as deployed (a schema per service): the gateway reads the nearest
      // units from geo-service's tables on its read-only pool (docs/adr/0032).
      DATABASE_URL: t.db.url,
      REDIS_URL: t.config.REDIS_URL,
      REDIS_KEY_PREFIX: t.config.REDIS_KEY_PREFIX,
    },
    readyTimeoutMs: 60_000,
  });
  return {
    process,
    stop: async () => {
      await process.stop();
    },
  };
}

/** A GeoJSON square polygon centred on (lon, lat), `half` degrees to each side. */
export const SQUARE = (lon: number, lat: number, half: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon - half, lat - half],
      [lon + half, lat - half],
      [lon + half, lat + half],
      [lon - half, lat + half],
      [lon - half, lat - half],
    ] as [number, number][],
  ],
});

export const POINT = (lon: number, lat: number) => ({
  type: 'Point' as const,
  coordinates: [lon, lat] as [number, number],
});

/** `command.acknowledged` from an officer's device, as ws-gateway publishes it. */
export function deviceAck(
  agencyId: string,
  commandId: string,
  stage: CommandAckStage,
  {
    userId = 'officer-1',
    unitId,
    reason,
    assignmentId,
  }: { userId?: string; unitId?: string; reason?: string; assignmentId?: string } = {},
): Envelope<CommandAcknowledgedV1> {
  return createEnvelope<CommandAcknowledgedV1>({
    type: 'command.acknowledged',
    agencyId,
    actor: { kind: 'device', id: userId },
    data: {
      commandId,
      stage,
      ...(reason ? { reason } : {}),
      userId,
      ...(unitId ? { unitId } : {}),
      receivedAt: new Date().toISOString(),
      ...(assignmentId ? { assignmentId } : {}),
    },
  });
}
