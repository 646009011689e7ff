/**
 * Fleet simulator: `node -r ./tools/scripts/register-paths.js dist/tools/simulator/src/main.js [options]`
 * (after `npm run build`; `npm start` runs it once the services are ready).
 *
 *   --units <n>            units (default 20, env SIM_UNITS)
 *   --dispatchers <n>      dispatcher bots (default 2)
 *   --incident-every <s>   mean seconds between incidents (default 10)
 *   --position-every <s>   seconds between a unit's fixes (default 2)
 *   --positions <how>      socket: units are /field devices (default); rest: a tracker bridge
 *                          posts positions to POST /v1/positions (no commands)
 *   --duration <s>         stop after this long (default 0: until Ctrl-C)
 *   --agency <id>          agency of the demo (default SIM_AGENCY or demo, the seeded demo agency)
 *   SIM_LOGIN, SIM_PASSWORD  log in with this (admin) user's password, which provisions the bots'
 *                          users; without them the development login (AUTH_DEV_LOGIN=true)
 *   --api-url <url>        api-gateway (default API_URL or http://127.0.0.1:3000)
 *   --ws-url <url>         ws-gateway (default WS_URL or http://127.0.0.1:3001)
 *   --status-every <s>     status line period (default 1 on a terminal, 10 otherwise)
 */
import { parseArgs } from 'node:util';
import { Simulator } from './simulator';

function positive(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) {
    return fallback;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number < min) {
    throw new Error(`--${name} needs a number >= ${min} (got ${value})`);
  }
  return number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      units: { type: 'string' },
      dispatchers: { type: 'string' },
      'incident-every': { type: 'string' },
      'position-every': { type: 'string' },
      positions: { type: 'string' },
      duration: { type: 'string' },
      agency: { type: 'string' },
      'api-url': { type: 'string' },
      'ws-url': { type: 'string' },
      'status-every': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('see the header of tools/simulator/src/main.ts or tools/simulator/README.md');
    return;
  }
  const tty = Boolean(process.stdout.isTTY);
  const positionsOver = values.positions ?? 'socket';
  if (positionsOver !== 'socket' && positionsOver !== 'rest') {
    throw new Error(`--positions is socket or rest (got ${positionsOver})`);
  }
  const simulator = new Simulator({
    apiUrl: values['api-url'] ?? process.env.API_URL ?? 'http://127.0.0.1:3000',
    wsUrl: values['ws-url'] ?? process.env.WS_URL ?? 'http://127.0.0.1:3001',
    agencyId: values.agency ?? process.env.SIM_AGENCY ?? 'demo',
    units: Math.floor(positive('units', values.units ?? process.env.SIM_UNITS, 20, 1)),
    dispatchers: Math.floor(positive('dispatchers', values.dispatchers, 2)),
    incidentEverySeconds: positive('incident-every', values['incident-every'], 10, 0.1),
    positionEverySeconds: positive('position-every', values['position-every'], 2, 0.1),
    positionsOver,
    durationSeconds: positive('duration', values.duration, 0),
    statusEverySeconds: positive('status-every', values['status-every'], tty ? 1 : 10, 0.2),
    tty,
    write: (text) => process.stdout.write(text),
    ...(process.env.SIM_LOGIN && process.env.SIM_PASSWORD
      ? { login: { username: process.env.SIM_LOGIN, password: process.env.SIM_PASSWORD } }
      : {}),
  });
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) {
      process.exit(130);
    }
    void simulator.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await simulator.run();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`simulator failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
