/*
 * Console bench: the dispatch console (apps/console, built) in headless Chromium while N units
 * report every P seconds and M incidents are open, next to a bare page that moves the same markers
 * with Leaflet (canvas circle markers) from the same `/dispatch` socket and does nothing else.
 * Main-thread busy time per second (CDP `Performance.getMetrics` TaskDuration, sampled each second)
 * and the longest task per second (PerformanceObserver `longtask`, tasks of 50 ms and more).
 *
 *   node tools/bench/run.mjs console [--units 2000] [--period-s 2] [--incidents 50] [--seconds 30]
 *
 * Needs the built apps (node tools/scripts/build.mjs), the local stack and Debian's chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGadClient } from '@gad/client';
import {
  chromiumExecutablePath,
  createTestEnvironment,
  freePort,
  startTestApp,
  waitFor,
  type ServiceProcess,
} from '@gad/testing';
import { chromium, type Page } from 'playwright-core';
import {
  analysis,
  fmt,
  machine,
  parseBenchFlags,
  percentile,
  progress,
  writeSection,
} from './report';

const PASSWORD = 'console-bench-password-1';
const SOL = { lon: -3.7038, lat: 40.4168 };

interface PageFigures {
  busyMsPerS: number[];
  longestPerS: number[];
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags = parseBenchFlags('console', args, {
    units: 2000,
    periodS: 2,
    incidents: 50,
    seconds: 30,
    warmupS: 8,
    write: true,
  });
  const agencyId = `bench-console-${Date.now().toString(36)}`;
  const consolePort = await freePort();
  const barePort = await freePort();
  const origins = [`http://127.0.0.1:${consolePort}`, `http://127.0.0.1:${barePort}`].join(',');
  const env = await createTestEnvironment({ CORS_ORIGINS: origins, LOG_LEVEL: 'warn' });
  const services: ServiceProcess[] = [];
  let consoleServer: ChildProcess | undefined;
  let bare: Server | undefined;
  let feeder: ReturnType<typeof setInterval> | undefined;
  const browser = await chromium.launch({
    executablePath: chromiumExecutablePath(),
    args: ['--no-sandbox'],
  });
  try {
    progress('starting geo-service, api-gateway, ws-gateway');
    const geo = await startTestApp('geo-service', env);
    services.push(geo);
    const api = await startTestApp('api-gateway', env, {
      env: {
        BOOTSTRAP_AGENCY_ID: agencyId,
        BOOTSTRAP_AGENCY_NAME: 'Console bench',
        BOOTSTRAP_ADMIN_USERNAME: 'bench-admin',
        BOOTSTRAP_ADMIN_EMAIL: 'bench-admin@example.org',
        BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      },
    });
    services.push(api);
    const ws = await startTestApp('ws-gateway', env);
    services.push(ws);

    const admin = createGadClient({ baseUrl: api.url });
    await admin.ops.login({ body: { login: 'bench-admin', password: PASSWORD, agency: agencyId } });
    await admin.ops.createUser({
      body: {
        username: 'bench-dispatcher',
        email: 'bench-dispatcher@example.org',
        locale: 'en',
        roles: ['dispatcher'],
        password: PASSWORD,
      },
    });
    progress(`creating ${flags.incidents} open incidents`);
    for (let i = 0; i < flags.incidents; i += 1) {
      await admin.incidents.create({
        type: 'bench',
        priority: (['P1', 'P2', 'P3', 'P4'] as const)[i % 4],
        location: { type: 'Point', coordinates: jitter(i, 0.03) },
      });
    }

    // The fleet: N units around Sol, each reporting a fix every period (REST batches of 500).
    const tracker = createGadClient({ baseUrl: api.url });
    await tracker.auth.devLogin({ agencyId, userId: 'bench-tracker', roles: ['service'] });
    let tick = 0;
    const report = async () => {
      tick += 1;
      const now = new Date().toISOString();
      const fixes = Array.from({ length: flags.units }, (_, i) => ({
        unitId: `bench-unit-${i}`,
        position: {
          type: 'Point' as const,
          coordinates: walk(i, tick),
        },
        recordedAt: now,
        seq: tick,
        accuracyM: 5,
      }));
      for (let i = 0; i < fixes.length; i += 500) {
        await tracker.positions
          .report({ positions: fixes.slice(i, i + 500) })
          .catch(() => undefined);
      }
    };
    await report();
    feeder = setInterval(() => void report(), flags.periodS * 1000);

    consoleServer = spawn(
      process.execPath,
      [
        join(root, 'tools', 'scripts', 'console-server.mjs'),
        '--port',
        String(consolePort),
        '--api-url',
        api.url,
        '--ws-url',
        ws.url,
        '--agency',
        agencyId,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const consoleUrl = await new Promise<string>((resolve) => {
      createInterface({ input: consoleServer?.stdout as NodeJS.ReadableStream }).on(
        'line',
        (line) => {
          const match = /^console: (\S+)/.exec(line);
          if (match) resolve(match[1] as string);
        },
      );
    });
    bare = await serveBarePage(root, barePort);

    const results: Record<string, PageFigures> = {};
    progress(`console page: ${flags.seconds} s after ${flags.warmupS} s of warm-up`);
    {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(consoleUrl);
      await page.fill('input[name=login]', 'bench-dispatcher');
      await page.fill('input[name=password]', PASSWORD);
      await page.keyboard.press('Enter');
      await page
        .locator('[data-testid=connection][data-status=connected]')
        .waitFor({ timeout: 30_000 });
      // Check that fixes arrive live: the unit list shows fix ages below the reporting period.
      await page.keyboard.press('u');
      await waitFor(
        async () => {
          const ages = await page
            .locator('[data-testid=unit-row] td:nth-child(3)')
            .allTextContents();
          return ages.some((text) => Number.parseInt(text, 10) <= flags.periodS + 1);
        },
        { description: 'a live fix in the console', timeoutMs: 30_000 },
      );
      await page.keyboard.press('i');
      results['console'] = await measure(page, flags.seconds, flags.warmupS);
      await context.close();
    }
    progress(`bare Leaflet page: ${flags.seconds} s after ${flags.warmupS} s of warm-up`);
    {
      const dispatcher = createGadClient({ baseUrl: api.url });
      await dispatcher.auth.devLogin({ agencyId, userId: 'bench-bare', roles: ['dispatcher'] });
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const query = new URLSearchParams({
        ws: ws.url,
        token: dispatcher.getAccessToken() as string,
      });
      await page.goto(`http://127.0.0.1:${barePort}/?${query.toString()}`);
      await waitFor(
        () =>
          page.evaluate(
            () => (globalThis as unknown as { connected?: boolean }).connected === true,
          ),
        {
          description: 'the bare page connected',
          timeoutMs: 30_000,
        },
      );
      results['bare'] = await measure(page, flags.seconds, flags.warmupS);
      await context.close();
    }

    const row = (name: string, figures: PageFigures) => {
      const busy = [...figures.busyMsPerS].sort((a, b) => a - b);
      const mean = busy.reduce((sum, value) => sum + value, 0) / Math.max(1, busy.length);
      const longest = Math.max(0, ...figures.longestPerS);
      const over100 = figures.longestPerS.filter((value) => value > 100).length;
      return { name, mean, p95: percentile(busy, 95), longest, over100 };
    };
    const consoleRow = row('console (apps/console)', results['console'] as PageFigures);
    const bareRow = row('bare Leaflet page', results['bare'] as PageFigures);
    const table = [
      '| page | main-thread busy, ms per s (mean) | p95 | longest task in a second (max, ms; 0 = none ≥ 50 ms) | seconds with a task > 100 ms |',
      '|---|---|---|---|---|',
      ...[consoleRow, bareRow].map(
        (r) =>
          `| ${r.name} | ${fmt(r.mean, 1)} | ${fmt(r.p95, 1)} | ${fmt(r.longest, 0)} | ${r.over100} |`,
      ),
    ].join('\n');
    const ratio = consoleRow.mean / Math.max(0.001, bareRow.mean);
    const section = [
      '## Console',
      '',
      `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}: \`node tools/bench/run.mjs console\` — ${flags.units} units reporting every ${flags.periodS} s (REST batches through api-gateway → geo-service → ws-gateway \`units.moved\`), ${flags.incidents} open incidents, headless Chromium ${browser.version()} (1440×900), ${flags.seconds} s measured after ${flags.warmupS} s of warm-up, the services on the same machine.`,
      '',
      "Method: busy time is the renderer main thread's `TaskDuration` (CDP `Performance.getMetrics`) sampled every second; the longest task per second comes from a `PerformanceObserver` of `longtask` entries (tasks of 50 ms and more). The bare page connects to the same `/dispatch` namespace with a dispatcher token and moves one Leaflet canvas circle marker per unit on `units.moved`, and does nothing else (no incidents, no queue, no React).",
      '',
      table,
      '',
      `Console / bare busy time: **${fmt(ratio, 2)}×** (budget 1.5×); longest task ${fmt(consoleRow.longest, 0)} ms (budget: none over 100 ms in steady state).`,
      '',
      analysis(root, 'console'),
    ].join('\n');
    console.log(`\n${section}`);
    if (flags.write) {
      writeSection(root, '## Console', section);
      progress('docs/benchmarks.md updated (## Console)');
    }
  } finally {
    if (feeder) clearInterval(feeder);
    await browser.close().catch(() => undefined);
    consoleServer?.kill('SIGTERM');
    bare?.close();
    await Promise.all(services.map((service) => service.stop()));
    await env.cleanUp();
  }
}

/** Busy ms and the longest task of each second, after a warm-up. */
async function measure(page: Page, seconds: number, warmupS: number): Promise<PageFigures> {
  await page.evaluate(() => {
    const state = globalThis as unknown as { longTasks: { start: number; duration: number }[] };
    state.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        state.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: false } as never);
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? 0;
  };
  await page.waitForTimeout(warmupS * 1000);
  const started = await page.evaluate(() => performance.now());
  const busyMsPerS: number[] = [];
  let previous = await taskSeconds();
  let previousAt = Date.now();
  for (let i = 0; i < seconds; i += 1) {
    await page.waitForTimeout(1000);
    const now = await taskSeconds();
    const at = Date.now();
    busyMsPerS.push(((now - previous) * 1000 * 1000) / Math.max(1, at - previousAt));
    previous = now;
    previousAt = at;
  }
  const tasks = await page.evaluate(
    () => (globalThis as unknown as { longTasks: { start: number; duration: number }[] }).longTasks,
  );
  const longestPerS = Array.from({ length: seconds }, (_, i) =>
    Math.max(
      0,
      ...tasks
        .filter((task) => task.start >= started + i * 1000 && task.start < started + (i + 1) * 1000)
        .map((task) => task.duration),
    ),
  );
  await cdp.detach();
  return { busyMsPerS, longestPerS };
}

/** The bare page: Leaflet and socket.io-client from node_modules, nothing else. */
function serveBarePage(root: string, port: number): Promise<Server> {
  const files: Record<string, [string, string]> = {
    '/leaflet.js': [join(root, 'node_modules/leaflet/dist/leaflet.js'), 'text/javascript'],
    '/leaflet.css': [join(root, 'node_modules/leaflet/dist/leaflet.css'), 'text/css'],
    '/socket.io.min.js': [
      join(root, 'node_modules/socket.io-client/dist/socket.io.min.js'),
      'text/javascript',
    ],
  };
  const html = `<!doctype html><html><head><link rel="stylesheet" href="/leaflet.css">
<style>html,body,#map{margin:0;height:100%}</style></head><body><div id="map"></div>
<script src="/leaflet.js"></script><script src="/socket.io.min.js"></script><script>
const params = new URLSearchParams(location.search);
const renderer = L.canvas({ padding: 0.2 });
const map = L.map('map', { preferCanvas: true, renderer }).setView([${SOL.lat}, ${SOL.lon}], 13);
const markers = new Map();
const socket = io(params.get('ws') + '/dispatch', { transports: ['websocket'], auth: { token: params.get('token') } });
socket.on('connect', () => { window.connected = true; });
socket.on('units.moved', (batch) => {
  for (const unit of batch.units) {
    const latLng = [unit.position.coordinates[1], unit.position.coordinates[0]];
    const marker = markers.get(unit.unitId);
    if (marker) marker.setLatLng(latLng);
    else markers.set(unit.unitId, L.circleMarker(latLng, { radius: 6, renderer }).addTo(map));
  }
});
</script></body></html>`;
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://bare').pathname;
    const file = files[path];
    if (file) {
      response.writeHead(200, { 'content-type': file[1] });
      response.end(readFileSync(file[0]));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(html);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** A fixed point near Sol for incident `i`. */
function jitter(i: number, spread: number): [number, number] {
  const angle = i * 2.399963;
  const radius = spread * Math.sqrt((i + 1) / 60);
  return [round(SOL.lon + radius * Math.cos(angle)), round(SOL.lat + radius * Math.sin(angle))];
}

/** Unit `i` circling its own spot, one step per tick. */
function walk(i: number, tick: number): [number, number] {
  const [lon, lat] = jitter(i, 0.06);
  const angle = (tick + i) * 0.3;
  return [round(lon + 0.001 * Math.cos(angle)), round(lat + 0.001 * Math.sin(angle))];
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;
