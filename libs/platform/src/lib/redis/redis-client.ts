import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/*
 * The one Redis client factory of the system (docs/adr/0002-redis-cluster.md): every connection
 * of every service (bus, RedisModule, audit recorder, BullMQ workers and queues) comes from
 * `redisClientFromUrl`, so a `redis+cluster://` URL switches them all to ioredis `Cluster`.
 */

const CLUSTER_SCHEME = /^rediss?\+cluster:\/\//i;

/**
 * TLS settings a `rediss://` / `rediss+cluster://` URL may carry as query parameters, so REDIS_URL
 * stays the one Redis setting of every service (k8s: a Secret's `uri`):
 *   `tls_ca_file`     PEM file of the CA(s) that signed the server certificate (a private CA);
 *   `tls_servername`  the name the certificate must carry when it differs from the URL's host.
 * The certificate is always verified. AUTH: `redis://user:password@host` (ACL user) or
 * `redis://:password@host` (requirepass), percent-encoded.
 */
const TLS_PARAMS = { tls_ca_file: 'ca', tls_servername: 'servername' } as const;

/** The URL without its TLS parameters, and the TLS options they give (undefined: none). */
export function redisTlsFromUrl(url: string): { url: string; tls: ConnectionOptions | undefined } {
  const parsed = new URL(url);
  const secure = parsed.protocol.startsWith('rediss');
  let tls: ConnectionOptions | undefined = secure ? {} : undefined;
  for (const [param, option] of Object.entries(TLS_PARAMS)) {
    const value = parsed.searchParams.get(param);
    if (value === null) {
      continue;
    }
    if (!secure) {
      throw new Error(`REDIS_URL: ${param} needs a rediss:// (TLS) URL`);
    }
    parsed.searchParams.delete(param);
    tls = {
      ...tls,
      ...(option === 'ca' ? { ca: readFileSync(value, 'utf8') } : { servername: value }),
    };
  }
  const unknown = [...parsed.searchParams.keys()].filter((key) => key.startsWith('tls_'));
  if (unknown.length > 0) {
    throw new Error(`REDIS_URL: unknown TLS parameter(s) ${unknown.join(', ')}`);
  }
  return { url: parsed.toString(), tls };
}

/** True for `redis+cluster://` / `rediss+cluster://` URLs (docs/adr/0002-redis-cluster.md). */
export function isClusterUrl(url: string): boolean {
  return CLUSTER_SCHEME.test(url);
}

/**
 * Seed nodes and per-node options of a cluster URL:
 * `redis+cluster://[user:password@]host:port[?nodes=host2:port,host3:port]` (`rediss+cluster`
 * for TLS). One seed is enough (the client discovers the others with CLUSTER SLOTS); `nodes` adds
 * more seeds for when the first is down at start.
 */
export function parseClusterUrl(url: string): {
  nodes: Array<{ host: string; port: number }>;
  redisOptions: RedisOptions;
} {
  const { url: plain, tls } = redisTlsFromUrl(url);
  const parsed = new URL(plain);
  const seeds = [parsed.host, ...(parsed.searchParams.get('nodes') ?? '').split(',')].filter(
    (seed) => seed.length > 0,
  );
  const nodes = seeds.map((seed) => {
    const [host, port] = seed.split(':');
    return { host, port: Number(port || 6379) };
  });
  const redisOptions: RedisOptions = {};
  if (parsed.username) {
    redisOptions.username = decodeURIComponent(parsed.username);
  }
  if (parsed.password) {
    redisOptions.password = decodeURIComponent(parsed.password);
  }
  if (tls) {
    redisOptions.tls = tls;
  }
  return { nodes, redisOptions };
}

/**
 * THE place where a Redis URL becomes a client, for the bus, the audit recorder, the
 * platform's `RedisModule` and the BullMQ workers ({@link QueueWorkers}):
 * `redis://`/`rediss://` give a `Redis`, `redis+cluster://` an ioredis `Cluster` with `options`
 * applied to every node connection (and `enableOfflineQueue` to the cluster). The cluster is
 * returned typed as `Redis`: both share ioredis' command interface, which is all the callers use
 * (`status`, `quit`, `disconnect`, `multi`, `pipeline`, `call`, commands); `isCluster` tells
 * them apart.
 */
export function redisClientFromUrl(url: string, options: RedisOptions = {}): Redis {
  if (!isClusterUrl(url)) {
    const { url: plain, tls } = redisTlsFromUrl(url);
    return new Redis(plain, tls ? { ...options, tls: { ...tls, ...options.tls } } : options);
  }
  const { nodes, redisOptions } = parseClusterUrl(url);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...options, ...redisOptions },
    // ioredis applies a cluster's key prefix at the cluster level, not per node.
    keyPrefix: options.keyPrefix,
    enableAutoPipelining: options.enableAutoPipelining,
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    // Failover: a replica takes over within cluster-node-timeout; keep retrying MOVED/down slots.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2_000,
    // SSUBSCRIBE goes to the shard owning the channel (the sharded socket.io adapter needs it).
    shardedSubscribers: true,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
  };
  if (options.maxRetriesPerRequest !== undefined) {
    clusterOptions.maxRedirections = 32;
  }
  return new Cluster(nodes, clusterOptions) as unknown as Redis;
}
