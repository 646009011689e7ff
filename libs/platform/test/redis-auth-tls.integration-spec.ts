// Redis AUTH and TLS through REDIS_URL alone (docs/adr/0002; k8s/README.md): every client of the
// system comes from redisClientFromUrl, so a private redis-server that requires a password (ACL
// user and requirepass) and one that speaks only TLS with a private CA must serve plain commands,
// the BullMQ queue/worker pair and the pub/sub the socket.io adapter uses (a duplicated
// connection) — and refuse a client without the password or without the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisClientFromUrl, redisTlsFromUrl } from '@gad/platform';
import { startRedisServer, waitFor, type RedisServerHandle } from '@gad/testing';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

jest.setTimeout(60_000);

/** A client that gives up at once (no reconnect loop in a test that expects a refusal). */
const quick = { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true } as const;

/** PONG, or why the server or the TLS handshake refused the client. */
async function attempt(client: Redis): Promise<string> {
  const errors: string[] = [];
  client.on('error', (error: Error) => errors.push(error.message));
  try {
    await client.connect();
    return await client.ping();
  } catch (error) {
    return [...errors, (error as Error).message].join('; ');
  } finally {
    client.disconnect();
  }
}

/** Queue + worker over `url`: the job's result, as a service's BullMQ pair would get it. */
async function roundTrip(url: string): Promise<unknown> {
  const queueConnection = redisClientFromUrl(url, { maxRetriesPerRequest: null });
  const workerConnection = redisClientFromUrl(url, { maxRetriesPerRequest: null });
  const queue = new Queue('auth-tls', { connection: queueConnection, prefix: 'gad-test' });
  const results: unknown[] = [];
  const worker = new Worker('auth-tls', async (job) => ({ doubled: Number(job.data.n) * 2 }), {
    connection: workerConnection,
    prefix: 'gad-test',
  });
  worker.on('completed', (_job, result) => results.push(result));
  try {
    await queue.add('double', { n: 21 });
    await waitFor(() => results.length > 0, { description: 'the job to complete' });
    return results[0];
  } finally {
    await worker.close();
    await queue.close();
    queueConnection.disconnect();
    workerConnection.disconnect();
  }
}

/** Publish on one connection, receive on its duplicate (what RedisIoAdapter does). */
async function pubSub(url: string): Promise<string> {
  const pub = redisClientFromUrl(url);
  const sub = pub.duplicate();
  try {
    const received = new Promise<string>((resolve) => sub.on('message', (_c, m) => resolve(m)));
    await sub.subscribe('gad-test-channel');
    await pub.publish('gad-test-channel', 'hello');
    return await received;
  } finally {
    pub.disconnect();
    sub.disconnect();
  }
}

describe('Redis AUTH from REDIS_URL', () => {
  let server: RedisServerHandle;
  const port = () => server.port;

  beforeAll(async () => {
    server = await startRedisServer({
      args: [
        '--requirepass',
        'default-s3cret',
        '--user',
        'gad',
        'on',
        '>gad-s3cret/%',
        '~*',
        '&*',
        '+@all',
      ],
    });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('serves an ACL user and the requirepass password given in the URL, and refuses without', async () => {
    const user = `redis://gad:${encodeURIComponent('gad-s3cret/%')}@127.0.0.1:${port()}`;
    expect(await attempt(redisClientFromUrl(user, quick))).toBe('PONG');
    expect(
      await attempt(redisClientFromUrl(`redis://:default-s3cret@127.0.0.1:${port()}`, quick)),
    ).toBe('PONG');
    expect(await attempt(redisClientFromUrl(`redis://127.0.0.1:${port()}`, quick))).toMatch(
      /NOAUTH/,
    );
    expect(
      await attempt(redisClientFromUrl(`redis://gad:wrong@127.0.0.1:${port()}`, quick)),
    ).toMatch(/WRONGPASS/);
  });

  it('runs BullMQ jobs and the socket.io adapter pub/sub over the authenticated URL', async () => {
    const url = `redis://gad:${encodeURIComponent('gad-s3cret/%')}@127.0.0.1:${port()}`;
    expect(await roundTrip(url)).toEqual({ doubled: 42 });
    expect(await pubSub(url)).toBe('hello');
  });
});

describe('Redis TLS from REDIS_URL (rediss:// with tls_ca_file)', () => {
  let dir: string;
  let server: RedisServerHandle;
  let ca: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gad-redis-tls-'));
    const file = (name: string) => join(dir, name);
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=gad-test-ca',
    ]);
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=redis.gad.test',
    ]);
    writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:redis.gad.test\n');
    openssl([
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.crt'),
      '-days',
      '2',
      '-extfile',
      file('ext.cnf'),
    ]);
    ca = file('ca.crt');
    server = await startRedisServer({
      tls: { certFile: file('server.crt'), keyFile: file('server.key'), caFile: ca },
      args: ['--requirepass', 'tls-s3cret'],
    });
  });

  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server against the CA of the URL, and refuses a server it cannot verify', async () => {
    const base = `rediss://:tls-s3cret@127.0.0.1:${server.port}`;
    expect(
      await attempt(redisClientFromUrl(`${base}?tls_ca_file=${encodeURIComponent(ca)}`, quick)),
    ).toBe('PONG');
    expect(
      await attempt(
        redisClientFromUrl(
          `${base}?tls_ca_file=${encodeURIComponent(ca)}&tls_servername=redis.gad.test`,
          quick,
        ),
      ),
    ).toBe('PONG');
    // Without the CA the self-signed chain is refused; a wrong name is refused.
    expect(await attempt(redisClientFromUrl(base, quick))).toMatch(
      /self[- ]signed|unable to verify/i,
    );
    expect(
      await attempt(
        redisClientFromUrl(
          `${base}?tls_ca_file=${encodeURIComponent(ca)}&tls_servername=other.host`,
          quick,
        ),
      ),
    ).toMatch(/altnames|does not match/i);
  });

  it('runs BullMQ jobs and the socket.io adapter pub/sub over TLS', async () => {
    const url = `rediss://:tls-s3cret@127.0.0.1:${server.port}?tls_ca_file=${encodeURIComponent(ca)}`;
    expect(await roundTrip(url)).toEqual({ doubled: 42 });
    expect(await pubSub(url)).toBe('hello');
  });

  it('refuses TLS parameters it does not know or on a plain redis:// URL', () => {
    expect(() => redisTlsFromUrl('rediss://h:6380?tls_insecure=1')).toThrow(
      /unknown TLS parameter/,
    );
    expect(() => redisTlsFromUrl(`redis://h:6379?tls_ca_file=${ca}`)).toThrow(/needs a rediss/);
  });
});
