#!/usr/bin/env node
// A local Redis Cluster for tests and experiments: 6 redis-server processes in cluster mode
// (3 primaries + 3 replicas) on free high ports of 127.0.0.1, formed with
// `redis-cli --cluster create`, nothing persisted, everything under one temporary directory.
// The machine's own Redis (6379) is never touched.
//
//   node tools/stack/cluster.cjs          start, print the URL, stop on Ctrl-C / SIGTERM
//
// From code (CommonJS on purpose: Jest loads it, see libs/testing/src/lib/redis-cluster.ts):
//   const { startRedisCluster } = require('tools/stack/cluster.cjs');
//   const cluster = await startRedisCluster();   // cluster.url = 'redis+cluster://127.0.0.1:<port>'
//   await cluster.stop();
'use strict';
const { spawn, execFile } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const HOST = '127.0.0.1';

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** `count` ports p (p and the cluster bus port p + 10000 both free), in 20000..55000. */
async function freeClusterPorts(count) {
  const ports = [];
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if (ports.includes(port) || ports.includes(port - 10000) || ports.includes(port + 10000)) {
      continue;
    }
    if ((await portFree(port)) && (await portFree(port + 10000))) {
      ports.push(port);
    }
  }
  return ports;
}

/** Runs redis-cli; resolves with stdout. */
function cli(port, args, { timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-h', HOST, '-p', String(port), ...args],
      { timeout: timeoutMs },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

async function waitUntil(check, description, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) {
        return;
      }
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${description}${last ? `: ${last.message}` : ''}`);
}

/** Parses CLUSTER NODES into [{ id, port, role, primaryId, flags }]. */
function parseNodes(text) {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, primaryId] = line.split(' ');
      const port = Number(address.split('@')[0].split(':')[1]);
      const flagList = flags.split(',');
      return {
        id,
        port,
        flags: flagList,
        role: flagList.includes('master') ? 'primary' : 'replica',
        primaryId: primaryId === '-' ? undefined : primaryId,
        failed: flagList.includes('fail') || flagList.includes('fail?'),
      };
    });
}

/**
 * Starts the cluster and resolves once every node reports `cluster_state:ok`.
 * options: { nodes = 6, replicas = 1, nodeTimeoutMs = 1000 }
 */
async function startRedisCluster(options = {}) {
  const count = options.nodes ?? 6;
  const replicas = options.replicas ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'gad-redis-cluster-'));
  const ports = await freeClusterPorts(count);
  const children = new Map();

  const startNode = async (port) => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        // Replicas of a killed primary take over without waiting for data-age checks.
        '--cluster-replica-validity-factor',
        '0',
        '--cluster-require-full-coverage',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--dbfilename',
        `dump-${port}.rdb`,
      ],
      { stdio: 'ignore' },
    );
    children.set(port, child);
    await waitUntil(async () => (await cli(port, ['ping'])).trim() === 'PONG', `node ${port}`);
  };

  const stopNode = async (port, signal = 'SIGTERM') => {
    const child = children.get(port);
    children.delete(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };

  const stop = async () => {
    await Promise.all([...children.keys()].map((port) => stopNode(port, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };

  const nodes = async (viaPort) => {
    const live = viaPort ?? [...children.keys()][0];
    return parseNodes(await cli(live, ['cluster', 'nodes']));
  };

  const clusterOk = async (port) => /cluster_state:ok/.test(await cli(port, ['cluster', 'info']));

  try {
    await Promise.all(ports.map(startNode));
    await cli(
      ports[0],
      [
        '--cluster',
        'create',
        ...ports.map((port) => `${HOST}:${port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeoutMs: 30_000 },
    );
    await waitUntil(
      async () => (await Promise.all(ports.map(clusterOk))).every(Boolean),
      'cluster_state:ok on every node',
    );
    // Every replica attached to its primary (the cluster answers writes either way).
    await waitUntil(async () => {
      const list = await nodes(ports[0]);
      return (
        list.filter((node) => node.role === 'replica').length === count - count / (replicas + 1)
      );
    }, 'replicas attached');
    // ... and in sync: until a replica's first full sync is done it confirms no write, and every
    // `WAIT 1` answers 0 (a publisher then treats the cluster as having no replica).
    await waitUntil(async () => {
      const list = await nodes(ports[0]);
      const states = await Promise.all(
        list
          .filter((node) => node.role === 'replica')
          .map((node) => cli(node.port, ['info', 'replication'])),
      );
      return states.every(
        (info) => /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info),
      );
    }, 'replicas in sync');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    ports,
    dir,
    url: `redis+cluster://${HOST}:${ports[0]}?nodes=${ports
      .slice(1)
      .map((port) => `${HOST}:${port}`)
      .join(',')}`,
    nodes,
    /** Port of the primary that serves `key` now (from CLUSTER NODES slot ranges). */
    async primaryOf(key) {
      const [live] = [...children.keys()];
      const slot = Number((await cli(live, ['cluster', 'keyslot', key])).trim());
      const text = await cli(live, ['cluster', 'nodes']);
      for (const line of text.trim().split('\n')) {
        const fields = line.split(' ');
        if (!fields[2].includes('master') || fields[2].includes('fail')) {
          continue;
        }
        for (const range of fields.slice(8)) {
          const [from, to] = range.split('-').map(Number);
          if (slot >= from && slot <= (to ?? from)) {
            return Number(fields[1].split('@')[0].split(':')[1]);
          }
        }
      }
      throw new Error(`no live primary serves ${key} (slot ${slot})`);
    },
    /** Hard-kills one node (SIGKILL), like a crashed pod. */
    kill: (port) => stopNode(port, 'SIGKILL'),
    /** Resolves once a replica replaced the killed primary `port` and every live node is ok. */
    async waitFailover(port, timeoutMs = 30_000) {
      const primaries = count / (replicas + 1);
      await waitUntil(
        async () => {
          const live = [...children.keys()];
          const healthy = (await nodes(live[0])).filter(
            (node) => node.role === 'primary' && !node.failed && node.port !== port,
          );
          return (
            healthy.length === primaries && (await Promise.all(live.map(clusterOk))).every(Boolean)
          );
        },
        `failover of the primary on ${port}`,
        timeoutMs,
      );
    },
    stop,
  };
}

module.exports = { startRedisCluster, parseNodes };

if (require.main === module) {
  startRedisCluster()
    .then((cluster) => {
      console.log(`redis cluster ready: ${cluster.url}`);
      console.log(`nodes: ${cluster.ports.join(', ')} (dir ${cluster.dir}); Ctrl-C stops it`);
      const shutdown = () => cluster.stop().then(() => process.exit(0));
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    })
    .catch((error) => {
      console.error(`cluster: FAILED: ${error.message}`);
      process.exit(1);
    });
}
