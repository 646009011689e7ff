#!/usr/bin/env node
// Benchmark runner: `node tools/bench/run.mjs <name> [--flags]` (npm run bench -- <name>).
// Benchmarks are TypeScript next to this file, loaded with ts-node (transpile only) and the
// workspace path aliases, so they measure the libraries' source as the apps run it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnProjectNode } from '../scripts/common.mjs';

// The project's Node LTS line (.node-version), installed if needed; GAD_NODE=system keeps this one.
await runOnProjectNode();

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);

const benches = {
  api: {
    file: 'api.bench.ts',
    describe: 'POST/GET /v1/incidents on the api-gateway vs bare Fastify + pg',
  },
  bus: { file: 'bus.bench.ts', describe: 'Redis Streams bus (@gad/bus) vs raw ioredis' },
  rpc: {
    file: 'rpc.bench.ts',
    describe: 'one read over the bus RPC stream vs HTTP keep-alive vs Redis pub/sub (ADR 0024)',
  },
  geo: {
    file: 'geo.bench.ts',
    describe: 'nearest (db, pgbench, HTTP) over 100k/1M units; ingestion',
  },
  overload: {
    file: 'overload.bench.ts',
    describe: 'nearest, incidents at 3x their measured maximum: accepted p99, 504s, 503 latency',
  },
  ws: {
    file: 'ws.bench.ts',
    describe: 'ws-gateway ×2 vs bare socket.io: idle RSS, unicast, broadcast',
  },
  'ws-bare-server': {
    file: 'ws-bare-server.ts',
    describe:
      "(forked by the ws bench) its bare socket.io server, loading only socket.io's modules",
  },
  audit: {
    file: 'audit.bench.ts',
    describe: 'AuditRecorder.record() to chained rows vs raw BullMQ; record() cost',
  },
  console: {
    file: 'console.bench.ts',
    describe: 'the browser console in Chromium (2000 units, 50 incidents) vs a bare Leaflet page',
  },
  reports: {
    file: 'reports.bench.ts',
    describe: 'response-time figures route vs the bare aggregate SQL over a year of incidents',
  },
  dispatch: {
    file: 'dispatch.bench.ts',
    describe: 'assignment → officer device → ack recorded (ws-gateway + notification-service)',
  },
};

const [name, ...args] = process.argv.slice(2);
if (!name || !benches[name]) {
  console.error(`usage: node tools/bench/run.mjs <${Object.keys(benches).join('|')}> [--flags]`);
  for (const [key, { describe }] of Object.entries(benches)) {
    console.error(`  ${key.padEnd(8)} ${describe}`);
  }
  process.exit(name ? 1 : 0);
}

require('ts-node').register({
  project: join(root, 'tsconfig.base.json'),
  transpileOnly: true,
  compilerOptions: { module: 'commonjs' },
});
const tsconfig = require(join(root, 'tsconfig.base.json'));
require('tsconfig-paths').register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });

const { main } = require(join(here, benches[name].file));
main(args, { root }).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
