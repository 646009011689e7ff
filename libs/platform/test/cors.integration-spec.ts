import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { corsEnvSchema, corsSettingsOf } from '@gad/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { Server as IoServer } from 'socket.io';
import { freePort } from '@gad/testing';
import { bootstrapService, socketCorsOptions } from '../src';
import { FixtureModule } from './fixtures/fixture.module';

process.env['LOG_LEVEL'] ??= 'fatal';

const CONSOLE = 'http://127.0.0.1:3005';
const STRANGER = 'http://evil.example';
const settings = corsSettingsOf('cors-it', corsEnvSchema.parse({ CORS_ORIGINS: `${CONSOLE}` }));

async function startApp(cors = settings): Promise<{ app: NestFastifyApplication; url: string }> {
  const port = await freePort();
  const app = await bootstrapService({
    name: 'cors-it',
    module: FixtureModule,
    port,
    host: '127.0.0.1',
    handleSignals: false,
    cors,
  });
  return { app, url: `http://127.0.0.1:${port}` };
}

const preflight = (url: string, origin: string) =>
  fetch(`${url}/fixture/places`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers':
        'authorization,content-type,if-match,idempotency-key,traceparent',
    },
  });

const list = (header: string | null) =>
  (header ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

describe('CORS on REST (bootstrapService with CORS_ORIGINS)', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startApp());
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers a preflight from an allowed origin with the methods and headers a console sends', async () => {
    const response = await preflight(url, CONSOLE);

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(list(response.headers.get('access-control-allow-methods'))).toEqual(
      expect.arrayContaining(['get', 'post', 'patch', 'put', 'delete']),
    );
    expect(list(response.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining([
        'authorization',
        'content-type',
        'if-match',
        'idempotency-key',
        'traceparent',
      ]),
    );
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(response.headers.get('vary')?.toLowerCase()).toContain('origin');
  });

  it('lets the page read ETag, x-trace-id, Retry-After and Location, on errors too', async () => {
    const response = await fetch(`${url}/fixture/conflict`, { headers: { origin: CONSOLE } });

    expect(response.status).toBe(409);
    expect(response.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(list(response.headers.get('access-control-expose-headers'))).toEqual(
      expect.arrayContaining(['etag', 'x-trace-id', 'x-request-id', 'retry-after', 'location']),
    );
  });

  it('grants nothing to another origin (preflight or request), and the request changes nothing it would not anyway', async () => {
    const refused = await preflight(url, STRANGER);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-headers')).toBeNull();

    const response = await fetch(`${url}/fixture/places?limit=2`, {
      headers: { origin: STRANGER },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-expose-headers')).toBeNull();
  });

  it('sends no CORS headers at all when CORS_ORIGINS is empty (the default)', async () => {
    const none = await startApp(corsSettingsOf('cors-it', corsEnvSchema.parse({})));
    try {
      const response = await fetch(`${none.url}/fixture/places?limit=2`, {
        headers: { origin: CONSOLE },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(
        (await preflight(none.url, CONSOLE)).headers.get('access-control-allow-origin'),
      ).toBeNull();
    } finally {
      await none.app.close();
    }
  });
});

describe('CORS on sockets (socketCorsOptions on a socket.io server)', () => {
  let http: HttpServer;
  let server: IoServer;
  let url: string;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new IoServer(http, { ...socketCorsOptions(settings), serveClient: false });
    server.of('/dispatch').on('connection', () => undefined);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    clients.forEach((client) => client.disconnect());
    await server.close();
  });

  /** Connects with the given Origin header: 'connected', or the connect_error message. */
  function handshake(transport: 'websocket' | 'polling', origin?: string): Promise<string> {
    const client = connect(`${url}/dispatch`, {
      transports: [transport],
      reconnection: false,
      forceNew: true,
      extraHeaders: origin ? { origin } : {},
    });
    clients.push(client);
    return new Promise((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('connect_error', (error) => resolve(`refused: ${error.message}`));
    });
  }

  it.each(['websocket', 'polling'] as const)(
    'admits an allowed origin and clients without an Origin (devices, services) over %s',
    async (transport) => {
      await expect(handshake(transport, CONSOLE)).resolves.toBe('connected');
      await expect(handshake(transport)).resolves.toBe('connected');
    },
  );

  it.each(['websocket', 'polling'] as const)(
    'refuses the handshake of a disallowed origin over %s',
    async (transport) => {
      await expect(handshake(transport, STRANGER)).resolves.toMatch(/^refused/);
    },
  );

  it('grants the allowed origin on a long-polling preflight, not another one', async () => {
    const ask = (origin: string) =>
      fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    expect((await ask(CONSOLE)).headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect((await ask(STRANGER)).headers.get('access-control-allow-origin')).toBeNull();
  });
});
