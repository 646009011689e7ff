#!/usr/bin/env node
// Serves the built dispatch console (dist/apps/console, `node tools/scripts/build.mjs`) and its
// `config.json`, written from the options below, so one build runs against any deployment. Static
// files only: the console talks to api-gateway and ws-gateway itself (their CORS_ORIGINS must list
// this server's origin). `npm start` starts it; tests start it on a free port.
//
//   node tools/scripts/console-server.mjs [--port 3005] [--host 127.0.0.1]
//        [--api-url http://127.0.0.1:3000] [--ws-url http://127.0.0.1:3001]
//        [--tile-url 'https://tiles.example/{z}/{x}/{y}.png'] [--agency demo] [--root dist/apps/console]
//        [--center 40.4168,-3.7038] [--zoom 13] [--stale-after 120]
//
// Env (options win): CONSOLE_PORT, CONSOLE_HOST, CONSOLE_API_URL, CONSOLE_WS_URL, CONSOLE_TILE_URL,
// CONSOLE_TILE_ATTRIBUTION, CONSOLE_AGENCY, CONSOLE_CENTER (lat,lon), CONSOLE_ZOOM,
// CONSOLE_STALE_AFTER_S. Without a tile URL the map is a plain background with coordinates and a
// scale bar (works offline). Prints `console: <url>` once listening.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * Starts the console server; resolves with `{ url, close }` once it listens.
 * @param {{ port?: number, host?: string, apiUrl?: string, wsUrl?: string, tileUrl?: string|null,
 *   tileAttribution?: string|null, agency?: string|null, staleAfterS?: number, root?: string }} options
 */
export function startConsoleServer(options = {}) {
  const root = resolve(options.root ?? join(repoRoot, 'dist', 'apps', 'console'));
  if (!existsSync(join(root, 'index.html'))) {
    return Promise.reject(
      new Error(`${root}/index.html does not exist: build first (node tools/scripts/build.mjs)`),
    );
  }
  const config = {
    apiUrl: options.apiUrl ?? 'http://127.0.0.1:3000',
    wsUrl: options.wsUrl ?? 'http://127.0.0.1:3001',
    tileUrl: options.tileUrl || null,
    tileAttribution: options.tileAttribution || null,
    agency: options.agency || null,
    ...(options.staleAfterS ? { staleAfterS: options.staleAfterS } : {}),
    ...(options.center ? { center: options.center } : {}),
    ...(options.zoom ? { zoom: options.zoom } : {}),
  };
  const configBody = JSON.stringify(config);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://console');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/config.json') {
      response.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
      response.end(configBody);
      return;
    }
    const relative = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    let file = resolve(root, relative || 'index.html');
    if (file !== root && !file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      file = join(root, 'index.html'); // one page: every other path is the console
    }
    const hashed = file.includes(`${sep}assets${sep}`);
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    createReadStream(file).pipe(response);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3005, options.host ?? '127.0.0.1', () => {
      const address = server.address();
      const host = options.host ?? '127.0.0.1';
      const url = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
      resolvePromise({
        url,
        close: () => new Promise((done) => server.close(() => done(undefined))),
      });
    });
  });
}

/** `40.4168,-3.7038` as [lat, lon]; undefined when absent or not two numbers. */
function latLon(text) {
  const parts = (text ?? '').split(',').map(Number);
  return parts.length === 2 && parts.every(Number.isFinite) ? parts : undefined;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-url': { type: 'string' },
      'ws-url': { type: 'string' },
      'tile-url': { type: 'string' },
      'tile-attribution': { type: 'string' },
      agency: { type: 'string' },
      'stale-after': { type: 'string' },
      center: { type: 'string' },
      zoom: { type: 'string' },
      root: { type: 'string' },
    },
  });
  const port = Number(values.port ?? env.CONSOLE_PORT ?? 3005);
  startConsoleServer({
    port,
    host: values.host ?? env.CONSOLE_HOST,
    apiUrl: values['api-url'] ?? env.CONSOLE_API_URL,
    wsUrl: values['ws-url'] ?? env.CONSOLE_WS_URL,
    tileUrl: values['tile-url'] ?? env.CONSOLE_TILE_URL,
    tileAttribution: values['tile-attribution'] ?? env.CONSOLE_TILE_ATTRIBUTION,
    agency: values.agency ?? env.CONSOLE_AGENCY,
    staleAfterS: Number(values['stale-after'] ?? env.CONSOLE_STALE_AFTER_S ?? 0) || undefined,
    center: latLon(values.center ?? env.CONSOLE_CENTER),
    zoom: Number(values.zoom ?? env.CONSOLE_ZOOM ?? 0) || undefined,
    root: values.root,
  })
    .then(({ url, close }) => {
      console.log(`console: ${url}`);
      const stop = () => void close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((error) => {
      console.error(`console server: ${error.message}`);
      process.exit(1);
    });
}
