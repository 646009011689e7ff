import { AuditRecorder, auditQueuePrefix } from '@gad/audit';
import { type AuditEntry, type Role, type SessionTokens } from '@gad/contracts';
import { bootstrapService } from '@gad/platform';
import {
  createTestDatabase,
  createTestKeyPair,
  deleteKeysWithPrefix,
  freePort,
  queuedAuditEntries,
  testStack,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { apiGatewayEnvSchema, type ApiGatewayConfig } from '../src/api-gateway.config';
import { AppModule } from '../src/app.module';
import { DocsModule } from '../src/docs/docs.module';

process.env['LOG_LEVEL'] ??= 'fatal';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface SendOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw body (not JSON-encoded). */
  raw?: string;
  /**
   * Send the path exactly as given (node:http), without the URL parser's dot-segment removal:
   * `fetch` turns `/v1/incidents/../hazards` into `/v1/hazards`, another operation.
   */
  verbatimPath?: boolean;
}

export const ADMIN = {
  agencyId: 'agency-a',
  agencyName: 'Agency A',
  username: 'admin-a',
  email: 'admin-a@example.test',
  password: 'correct horse battery staple',
};

/**
 * The api-gateway booted in-process (real Fastify, PostgreSQL database of its own, Redis under a
 * key prefix of its own) with a first admin from the BOOTSTRAP_* variables.
 */
export class IdentityTestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly baseUrl: string,
    readonly config: ApiGatewayConfig,
    readonly db: TestDatabase,
    readonly pg: Client,
    readonly redis: Redis,
    /** The instance whose database and keys this one shares (a second replica), if any. */
    private readonly twinOf?: IdentityTestApp,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<IdentityTestApp> {
    const db = await createTestDatabase();
    const prefix = uniqueRedisPrefix();
    const config = apiGatewayEnvSchema.parse({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: testStack.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      JWT_PRIVATE_KEY: createTestKeyPair().privateKeyPem,
      AUTH_DEV_LOGIN: 'true',
      OUTBOX_POLL_MS: '50',
      BOOTSTRAP_AGENCY_ID: ADMIN.agencyId,
      BOOTSTRAP_AGENCY_NAME: ADMIN.agencyName,
      BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    });
    return IdentityTestApp.boot(config, db);
  }

  /**
   * A second replica of this gateway: the same database, Redis prefix and signing key, its own
   * process state and port (closing it leaves the database and keys to this one).
   */
  async startTwin(): Promise<IdentityTestApp> {
    return IdentityTestApp.boot(this.config, this.db, this);
  }

  private static async boot(
    config: ApiGatewayConfig,
    db: TestDatabase,
    twinOf?: IdentityTestApp,
  ): Promise<IdentityTestApp> {
    const prefix = config.REDIS_KEY_PREFIX;
    const port = await freePort();
    const root = AppModule.forRoot(config, `api-gateway-it:${prefix}${twinOf ? ':twin' : ''}`);
    // The docs module serves Swagger UI through @fastify/static, which Jest cannot load; /docs*
    // is outside the operation registry anyway (raw routes, covered by the docs tests).
    root.imports = root.imports?.filter((module) => module !== DocsModule);
    const app = await bootstrapService({
      name: 'api-gateway-it',
      module: root,
      port,
      host: '127.0.0.1',
      handleSignals: false,
      trustedProxies: config.TRUSTED_PROXIES,
    });
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const redis = new Redis(testStack.redisUrl, { keyPrefix: prefix });
    return new IdentityTestApp(app, `http://127.0.0.1:${port}`, config, db, pg, redis, twinOf);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.pg.end();
    if (this.twinOf) {
      this.redis.disconnect();
      return;
    }
    await this.deleteOwnKeys();
    this.redis.disconnect();
    await this.db.drop();
  }

  /** Removes this app's Redis keys (only its own prefix; never a flush). */
  private async deleteOwnKeys(): Promise<void> {
    const plain = new Redis(testStack.redisUrl);
    try {
      await deleteKeysWithPrefix(plain, this.config.REDIS_KEY_PREFIX);
    } finally {
      plain.disconnect();
    }
  }

  async send<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: SendOptions = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) {
      headers['authorization'] = `Bearer ${options.token}`;
    }
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
    }
    if (
      body !== undefined &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    ) {
      headers['content-type'] = 'application/json';
    }
    const response = options.verbatimPath
      ? await sendVerbatim(`${this.baseUrl}${path}`, method, headers, body)
      : await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  async login(login: string, password: string): Promise<Reply<SessionTokens>> {
    return this.send<SessionTokens>('POST', '/v1/auth/login', { body: { login, password } });
  }

  async adminToken(): Promise<string> {
    const reply = await this.login(ADMIN.username, ADMIN.password);
    if (reply.status !== 200) {
      throw new Error(`admin login failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    return reply.body.accessToken;
  }

  /** A development token (no session) for any agency, user and roles. */
  async devToken(agencyId: string, roles: Role[], userId = `${roles[0]}-1`): Promise<string> {
    const reply = await this.send<{ accessToken: string }>('POST', '/v1/auth/dev-login', {
      body: { agencyId, userId, roles },
    });
    return reply.body.accessToken;
  }

  /** Creates a user through the API as `adminToken`; returns its id. */
  async createUser(
    adminToken: string,
    user: { username: string; password?: string; roles?: Role[] },
  ): Promise<string> {
    const reply = await this.send<{ id: string }>('POST', '/v1/users', {
      token: adminToken,
      body: {
        username: user.username,
        email: `${user.username}@example.test`,
        roles: user.roles ?? ['dispatcher'],
        password: user.password ?? 'a long enough password',
      },
    });
    if (reply.status !== 201) {
      throw new Error(`user not created: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    return reply.body.id;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pg.query(sql, params)).rows as T[];
  }

  /** `user.sessions_revoked` events written to the outbox (newest last). */
  async revocationEvents(): Promise<Array<{ agencyId: string; data: Record<string, unknown> }>> {
    const rows = await this.query<{
      envelope: { agencyId: string; data: Record<string, unknown> };
    }>(
      `SELECT envelope FROM dispatch.outbox WHERE envelope->>'type' = 'user.sessions_revoked'
       ORDER BY id`,
    );
    return rows.map((row) => row.envelope);
  }

  /** Audit entries this app recorded so far (flushed to the BullMQ queue first). */
  async auditEntries(): Promise<AuditEntry[]> {
    await this.app.get(AuditRecorder, { strict: false }).flush();
    const connection = new Redis(testStack.redisUrl, { maxRetriesPerRequest: null });
    try {
      return await queuedAuditEntries(connection, auditQueuePrefix(this.config.REDIS_KEY_PREFIX));
    } finally {
      connection.disconnect();
    }
  }
}

/** One HTTP request whose path goes on the wire unchanged (no dot-segment removal). */
function sendVerbatim(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Response> {
  const origin = new URL(url.slice(0, url.indexOf('/', 'http://'.length)));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: origin.hostname,
        port: origin.port,
        method,
        path: url.slice(origin.origin.length),
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const replyHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) replyHeaders.set(name, String(value));
          }
          resolve(
            new Response(Buffer.concat(chunks).toString('utf8') || null, {
              status: res.statusCode ?? 0,
              headers: replyHeaders,
            }),
          );
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
