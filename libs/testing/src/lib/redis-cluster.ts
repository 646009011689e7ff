import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One node as CLUSTER NODES reports it. */
export interface RedisClusterNode {
  readonly id: string;
  readonly port: number;
  readonly role: 'primary' | 'replica';
  readonly primaryId?: string;
  readonly failed: boolean;
  readonly flags: readonly string[];
}

export interface RedisClusterHandle {
  /** Ports of the six nodes on 127.0.0.1 (each also uses port + 10000 for the cluster bus). */
  readonly ports: readonly number[];
  /** `redis+cluster://127.0.0.1:<port>?nodes=...`: what services take as REDIS_URL. */
  readonly url: string;
  nodes(viaPort?: number): Promise<RedisClusterNode[]>;
  /** Port of the primary that serves `key` now. */
  primaryOf(key: string): Promise<number>;
  /** SIGKILLs one node, like a crashed pod. */
  kill(port: number): Promise<void>;
  /** Resolves once a replica replaced the killed primary and every live node is ok. */
  waitFailover(port: number, timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their directory. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Default 6. */
  nodes?: number;
  /** Replicas per primary; default 1. */
  replicas?: number;
  /** cluster-node-timeout: how soon a dead primary is failed over. Default 1000 ms. */
  nodeTimeoutMs?: number;
}

interface ClusterScript {
  startRedisCluster(options?: StartRedisClusterOptions): Promise<RedisClusterHandle>;
}

/** Loads tools/stack/cluster.cjs (also runnable by itself: `node tools/stack/cluster.cjs`). */
function clusterScript(): ClusterScript {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'tools', 'stack', 'cluster.cjs');
    if (existsSync(file)) {
      return createRequire(__filename)(file) as ClusterScript;
    }
    if (dirname(dir) === dir) {
      throw new Error(`tools/stack/cluster.cjs not found above ${__dirname}`);
    }
  }
}

/**
 * A private 6-node Redis Cluster (3 primaries + 3 replicas) on free high ports of 127.0.0.1,
 * started with the installed `redis-server` in cluster mode and formed with
 * `redis-cli --cluster create` (about 2 s). Nothing is persisted; `stop()` kills every node.
 * Pass `url` as the bus connection / REDIS_URL; use `primaryOf` + `kill` + `waitFailover` to prove
 * that work survives a primary's death.
 */
export function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisClusterHandle> {
  return clusterScript().startRedisCluster(options);
}
