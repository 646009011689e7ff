import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/*
 * The one Redis client factory of the system (docs/adr/0002-redis-cluster.md): every connection
 * of every service (bus, RedisModule, audit recorder, BullMQ workers and queues) comes from
 * `redisClientFromUrl`, so a `redis+cluster://` URL switches them all to ioredis `Cluster`.
 */

const CLUSTER_SCHEME = /^rediss?\+cluster:\/\//i;

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
  const parsed = new URL(url);
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
  if (parsed.protocol.startsWith('rediss')) {
    redisOptions.tls = {};
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
    return new Redis(url, options);
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
