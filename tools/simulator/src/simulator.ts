import {
  connectDispatch,
  connectField,
  createGadClient,
  isGadProblemError,
  type ConnectionState,
  type DispatchSocket,
  type FieldConnection,
  type GadRestClient,
} from '@gad/client';
import { randomBytes } from 'node:crypto';
import type { DeliveredCommand, PositionFix, Role } from '@gad/contracts';
import { Api, OnceLog } from './api';
import { CityGrid, Driver, MADRID, type City } from './city-grid';
import { SimulatorStats } from './stats';

export interface SimulatorOptions {
  /** api-gateway base URL. */
  apiUrl: string;
  /** ws-gateway base URL. */
  wsUrl: string;
  agencyId: string;
  units: number;
  dispatchers: number;
  /** Mean seconds between incidents of the whole dispatch room. */
  incidentEverySeconds: number;
  /** Seconds between two fixes of a unit. */
  positionEverySeconds: number;
  /**
   * `socket`: every unit is a device on `/field` (positions, commands, acks); `rest`: a tracker
   * bridge posts the fleet's positions to `POST /v1/positions` (no commands reach the units).
   */
  positionsOver: 'socket' | 'rest';
  /** Stop after this many seconds (0: until stop()). */
  durationSeconds: number;
  city?: City;
  /** Print a status line this often (seconds). */
  statusEverySeconds: number;
  /** Rewrite one status line in place (a terminal) instead of printing one per period. */
  tty: boolean;
  write: (line: string) => void;
  random?: () => number;
  /**
   * Log in with passwords (the demo admin's, e.g. `demo.admin` of agency `demo`, seeded by
   * `npm start`): the admin creates the bots' users (`sim-officer-001`, `sim-dispatcher-1`, ...)
   * with a fresh password per run, crews each unit with its officer, and every bot logs in with
   * `POST /v1/auth/login`. Without it the development login is used (`AUTH_DEV_LOGIN=true`).
   */
  login?: { username: string; password: string };
}

type AckStage = 'delivered' | 'seen' | 'accepted' | 'declined';

/** A socket's connection as the status line and the log tell it. */
interface Link {
  name: string;
  connected: boolean;
  /** Since when it is down (a drop, or a first connection that failed), if it is. */
  downSince?: number;
  stopped?: boolean;
}

interface UnitAgent {
  id: string;
  callSign: string;
  officerId: string;
  api: Api;
  driver: Driver;
  seq: number;
  field?: FieldConnection;
  link: Link;
}

interface UnitRecord {
  id: string;
  callSign: string;
  crew?: string[];
  status?: string;
}

const INCIDENT_TYPES = [
  ['traffic_collision', 'Colisión de tráfico'],
  ['structure_fire', 'Incendio en vivienda'],
  ['medical_emergency', 'Emergencia sanitaria'],
  ['theft', 'Robo con fuerza'],
  ['public_disorder', 'Alteración del orden público'],
  ['welfare_check', 'Aviso de persona desorientada'],
] as const;
const STREETS = [
  'Gran Vía',
  'Calle de Alcalá',
  'Paseo de la Castellana',
  'Calle Mayor',
  'Calle de Atocha',
  'Calle de Serrano',
  'Calle de Bravo Murillo',
  'Paseo del Prado',
];

/** Incidents whose escalations the console counts (the newest). */
const KEEP_INCIDENTS = 1_000;

/**
 * The fleet simulator: a demo agency's units drive a street grid of a real city and report
 * positions, officers acknowledge commands like people do (quickly, after a while, declining, or
 * not at all), and dispatcher bots create incidents and dispatch the nearest unit. Only
 * `@gad/client` (REST and socket.io) talks to the system; routes that do not exist yet are
 * skipped after one log line.
 */
export class Simulator {
  readonly stats = new SimulatorStats();
  private readonly random: () => number;
  private readonly grid: CityGrid;
  private readonly once: OnceLog;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly sockets: DispatchSocket[] = [];
  /** The console that counts escalations (the first dispatcher's). */
  private agents: UnitAgent[] = [];
  private consoleLink: Link | undefined;
  /** Incidents this run created: their escalations are the console's to count. */
  private readonly incidents = new Set<string>();
  /** Escalation envelopes already counted (an event may reach the console through two rooms). */
  private readonly escalationIds = new Set<string>();
  /** Unanswered assignments the console has already taken back. */
  private readonly reassigned = new Set<string>();
  private stopped = false;
  /** Commands issued before this run (replayed from the devices' logs) do not count in ack latency. */
  private readonly startedAt = Date.now();
  private finished: (() => void) | undefined;

  constructor(private readonly options: SimulatorOptions) {
    this.random = options.random ?? Math.random;
    this.grid = new CityGrid(options.city ?? MADRID, this.random);
    this.once = new OnceLog((line) => this.log(line));
  }

  /** Sets everything up, then runs until the duration is over or {@link stop} is called. */
  async run(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    const { options } = this;
    this.log(
      `simulating ${options.units} units and ${options.dispatchers} dispatcher(s) of ` +
        `${options.agencyId} in ${this.grid.city.name} (${this.grid.cols}×${this.grid.rows} street grid); ` +
        `api ${options.apiUrl}, sockets ${options.wsUrl}`,
    );
    await this.setUp();
    if (this.stopped) {
      return;
    }
    this.startPositions();
    for (let i = 0; i < options.dispatchers; i += 1) {
      await this.startDispatcher(i + 1);
    }
    this.every(options.statusEverySeconds * 1000, () => this.printStatus());
    if (options.durationSeconds > 0) {
      this.after(options.durationSeconds * 1000, () => void this.stop());
    }
    await done;
  }

  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    for (const timer of this.timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.clear();
    for (const agent of this.agents) {
      agent.field?.close();
    }
    for (const socket of this.sockets) {
      socket.disconnect();
    }
    if (this.options.tty) {
      this.options.write('\n');
    }
    this.options.write(`simulator stopped: ${this.stats.statusLine()}\n`);
    this.finished?.();
  }

  // -------------------------------------------------------------------------------------------
  // Setup (idempotent: a second run finds the same units)

  private async login(userId: string, roles: Role[], unitId?: string): Promise<Api> {
    if (this.options.login) {
      return this.passwordLogin(userId, roles, unitId);
    }
    const request = {
      agencyId: this.options.agencyId,
      userId,
      roles,
      ...(unitId ? { unitId } : {}),
    };
    const client: GadRestClient = createGadClient({
      baseUrl: this.options.apiUrl,
      // Development tokens have no refresh token: log in again when one expires.
      refresh: async (self) => {
        const tokens = await self.auth.devLogin(request);
        return { accessToken: tokens.accessToken, expiresIn: tokens.expiresIn };
      },
    });
    await client.auth.devLogin(request);
    return new Api(client, this.once);
  }

  // Password mode: the demo admin provisions the bots' users and crews.

  private adminApi?: Promise<Api>;
  private users?: Promise<Map<string, { id: string; status?: string; roles?: string[] }>>;

  /** A client logged in with a password (refreshed by the client with its refresh token). */
  private async passwordClient(login: string, password: string): Promise<Api> {
    const client: GadRestClient = createGadClient({ baseUrl: this.options.apiUrl });
    await client.call('login', {
      body: { login, password, agency: this.options.agencyId },
    } as never);
    return new Api(client, this.once);
  }

  private admin(): Promise<Api> {
    const login = this.options.login;
    if (!login) {
      throw new Error('no password login configured');
    }
    this.adminApi ??= this.passwordClient(login.username, login.password);
    return this.adminApi;
  }

  private async knownUsers(admin: Api) {
    this.users ??= (async () => {
      const users = new Map<string, { id: string; status?: string; roles?: string[] }>();
      let cursor: string | undefined;
      do {
        const page = await admin.call<{
          items: Array<{ id: string; username: string; status?: string; roles?: string[] }>;
          nextCursor?: string | null;
        }>('listUsers', { query: { limit: 100, ...(cursor ? { cursor } : {}) } });
        for (const user of page?.body.items ?? []) {
          users.set(user.username, user);
        }
        cursor = page?.body.nextCursor ?? undefined;
      } while (cursor);
      return users;
    })();
    return this.users;
  }

  /**
   * Makes sure the bot's user exists with these roles, active, with a new random password (a
   * run's passwords are never stored), crews its unit, and logs it in.
   */
  private async passwordLogin(username: string, roles: Role[], unitId?: string): Promise<Api> {
    if (username === 'sim-admin') {
      return this.admin();
    }
    const admin = await this.admin();
    const users = await this.knownUsers(admin);
    const password = randomBytes(18).toString('base64url');
    let user = users.get(username);
    if (!user) {
      const created = await admin.call<{ id: string }>('createUser', {
        body: {
          username,
          email: `${username}@simulator.example.org`,
          displayName: `Simulator ${username}`,
          roles,
          password,
        },
      });
      if (!created) {
        throw new Error('createUser is not available');
      }
      user = { id: created.body.id };
      users.set(username, user);
    } else {
      if (user.status !== undefined && user.status !== 'active') {
        await admin.call('enableUser', { params: { id: user.id } }).catch(() => undefined);
        await admin.call('unlockUser', { params: { id: user.id } }).catch(() => undefined);
      }
      if (user.roles && roles.some((role) => !user?.roles?.includes(role))) {
        await admin.call('setUserRoles', { params: { id: user.id }, body: { roles } });
      }
      await admin.call('setUserPassword', { params: { id: user.id }, body: { password } });
    }
    if (unitId) {
      // The officer's token names the unit it crews (api-gateway looks the crew up at login).
      await admin.call('updateUnit', { params: { id: unitId }, body: { crew: [user.id] } });
    }
    return this.passwordClient(username, password);
  }

  private async setUp(): Promise<void> {
    const admin = await this.login('sim-admin', ['admin', 'supervisor', 'dispatcher']);
    const units = await this.ensureUnits(admin);
    this.stats.units = units.length;
    const overSocket = this.options.positionsOver === 'socket';
    this.agents = await Promise.all(
      units.map(async (unit, index) => {
        const officerId = `sim-officer-${String(index + 1).padStart(3, '0')}`;
        const api = await this.login(officerId, ['officer'], unit.id);
        const agent: UnitAgent = {
          ...unit,
          officerId,
          api,
          driver: new Driver(this.grid, this.random),
          seq: 0,
          link: { name: `device ${unit.callSign}`, connected: false },
        };
        if (overSocket) {
          agent.field = connectField({
            url: this.options.wsUrl,
            // A valid token on every attempt: renewed (a new dev login) when it expires or the
            // gateway refused it, not the cached one.
            token: (request) => api.client.freshAccessToken(request),
            transports: ['websocket'],
            autoAckDelivered: false,
            onCommand: (command) => this.onCommand(agent, command),
            onState: (state) => this.onLinkState(agent.link, state),
          });
        }
        return agent;
      }),
    );
  }

  /** The agency's `SIM-001`… units, created when missing and put on duty (`available`). */
  private async ensureUnits(admin: Api): Promise<UnitRecord[]> {
    const callSigns = Array.from(
      { length: this.options.units },
      (_, i) => `SIM-${String(i + 1).padStart(3, '0')}`,
    );
    if (!admin.has('listUnits') || !admin.has('createUnit')) {
      this.once.log('no-units', 'units routes are not available: units exist only as positions');
      return callSigns.map((callSign) => ({
        id: `${this.options.agencyId}-${callSign.toLowerCase()}`,
        callSign,
      }));
    }
    const existing = new Map<string, UnitRecord>();
    let cursor: string | undefined;
    do {
      const page = await admin.call<{ items: UnitRecord[]; nextCursor?: string }>('listUnits', {
        query: { limit: 200, ...(cursor ? { cursor } : {}) },
      });
      for (const unit of page?.body.items ?? []) {
        existing.set(unit.callSign, unit);
      }
      cursor = page?.body.nextCursor;
    } while (cursor);

    const units: UnitRecord[] = [];
    for (const [index, callSign] of callSigns.entries()) {
      let unit = existing.get(callSign);
      if (!unit) {
        const ambulance = index % 5 === 4;
        const created = await admin.call<UnitRecord>(
          'createUnit',
          {
            body: {
              callSign,
              type: ambulance ? 'ambulance' : 'patrol',
              capabilities: ambulance ? ['als'] : [],
              crew: [`sim-officer-${String(index + 1).padStart(3, '0')}`],
            },
          },
          { idempotencyKey: `sim-${this.options.agencyId}-${callSign}` },
        );
        unit = created?.body;
      }
      if (!unit) {
        continue;
      }
      if (unit.status !== undefined && unit.status !== 'available') {
        await this.toAvailable(admin, unit.id);
      }
      units.push(unit);
    }
    return units;
  }

  private async toAvailable(api: Api, unitId: string): Promise<void> {
    await api
      .call('changeUnitStatus', {
        params: { id: unitId },
        body: { status: 'available', reason: 'simulator: on duty' },
      })
      .catch((error: unknown) => this.failed('unit status', error, [409]));
  }

  // -------------------------------------------------------------------------------------------
  // Positions

  private fix(agent: UnitAgent, seconds: number): PositionFix {
    const { point, speedMps, headingDeg } = agent.driver.advance(seconds);
    agent.seq += 1;
    return {
      unitId: agent.id,
      position: { type: 'Point', coordinates: [round(point.lon, 6), round(point.lat, 6)] },
      recordedAt: new Date().toISOString(),
      seq: agent.seq,
      accuracyM: round(4 + this.random() * 10, 1),
      speedMps: round(speedMps, 1),
      headingDeg: round(headingDeg, 1),
      deviceId: `sim-device-${agent.callSign.toLowerCase()}`,
    };
  }

  private startPositions(): void {
    const periodMs = this.options.positionEverySeconds * 1000;
    if (this.agents.some((agent) => agent.field)) {
      // Each device reports on its own schedule over its socket.
      for (const agent of this.agents) {
        this.after(this.random() * periodMs, () =>
          this.every(periodMs, () => {
            if (!agent.field?.socket.connected) {
              return;
            }
            agent.field
              .reportPositions(this.fix(agent, this.options.positionEverySeconds))
              .then((ack) => {
                if ((ack as { ok?: boolean }).ok === false) {
                  this.failed('position', ack);
                } else {
                  this.stats.positions += 1;
                }
              })
              .catch((error: unknown) => this.failed('position', error));
          }),
        );
      }
      return;
    }
    // A tracker bridge without sockets: one batch for the fleet each period.
    void this.login('sim-tracker-bridge', ['service']).then(
      (tracker) => {
        this.agents.forEach((agent) => (agent.link.connected = true));
        this.countLinks();
        this.every(periodMs, () => {
          const fixes = this.agents.map((agent) =>
            this.fix(agent, this.options.positionEverySeconds),
          );
          for (let i = 0; i < fixes.length; i += 500) {
            const batch = fixes.slice(i, i + 500);
            tracker.client.positions
              .report({ positions: batch })
              .then(({ body }) => (this.stats.positions += body.accepted))
              .catch((error: unknown) => this.failed('positions', error));
          }
        });
      },
      (error: unknown) => this.failed('tracker login', error),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Officers acknowledging commands

  private onCommand(agent: UnitAgent, command: DeliveredCommand): void {
    this.stats.commands += 1;
    const roll = this.random();
    if (roll < 0.08) {
      // Out of coverage, phone in a pocket: no acknowledgement at all (escalation follows).
      this.stats.silent += 1;
      return;
    }
    const field = agent.field;
    if (!field) {
      return;
    }
    const ack = (stage: AckStage, reason?: string) =>
      this.stopped
        ? Promise.resolve(undefined)
        : field.ack(command.commandId, stage, reason).then((result) => {
            if ((result as { ok?: boolean }).ok === false) {
              this.failed(`ack ${stage}`, result);
            }
            return result;
          });
    const issuedAt = Date.parse(command.issuedAt);
    ack('delivered')
      .then(() => {
        if (issuedAt >= this.startedAt) {
          this.stats.recordAckLatency(Date.now() - issuedAt);
        }
      })
      .catch((error: unknown) => this.failed('ack delivered', error));
    // A person reads it after a moment, then answers.
    this.after(800 + this.random() * 2_500, () => {
      void ack('seen').catch((error: unknown) => this.failed('ack seen', error));
      this.after(1_000 + this.random() * 4_000, () => {
        const decline = command.kind === 'dispatch' && roll < 0.15;
        if (decline) {
          this.stats.declined += 1;
          void ack('declined', 'Unidad ocupada con otro servicio').catch((error: unknown) =>
            this.failed('ack declined', error),
          );
          return;
        }
        this.stats.accepted += 1;
        void ack('accepted')
          .then(() => {
            if (command.kind === 'dispatch' && command.assignmentId) {
              this.drive(agent, command.assignmentId);
            }
          })
          .catch((error: unknown) => this.failed('ack accepted', error));
      });
    });
  }

  /** An accepted assignment runs its course: en route, on scene, cleared, back on duty. */
  private drive(agent: UnitAgent, assignmentId: string): void {
    const step = (status: string) =>
      agent.api
        .call('changeAssignmentStatus', { params: { id: assignmentId }, body: { status } })
        .catch((error: unknown) => this.failed(`assignment ${status}`, error, [409]));
    this.after(2_000 + this.random() * 3_000, () => {
      void step('en_route');
      this.after(15_000 + this.random() * 15_000, () => {
        void step('on_scene');
        this.after(20_000 + this.random() * 20_000, () => {
          void step('cleared').then(() => this.toAvailable(agent.api, agent.id));
        });
      });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Dispatchers

  private async startDispatcher(index: number): Promise<void> {
    const userId = `sim-dispatcher-${index}`;
    const api = await this.login(userId, ['dispatcher']);
    if (index === 1) {
      const link: Link = { name: 'dispatch console', connected: false };
      this.consoleLink = link;
      const socket = connectDispatch({
        url: this.options.wsUrl,
        token: (request) => api.client.freshAccessToken(request),
        transports: ['websocket'],
        onState: (state) => this.onLinkState(link, state),
      });
      this.sockets.push(socket);
      socket.on('assignment.unacknowledged', (event) => {
        if (this.incidents.has(event.data.incidentId) && !this.escalationIds.has(event.id)) {
          this.escalationIds.add(event.id);
          this.stats.escalations += 1;
          this.takeBack(api, event.data.assignmentId, event.data.unitId);
        }
      });
      // Escalations reach every console of the agency without a subscription (ws-gateway routes
      // assignment events to the agency room), so the console subscribes to nothing.
    }
    const meanMs = this.options.incidentEverySeconds * 1000 * this.options.dispatchers;
    const next = () =>
      this.after(meanMs * (0.5 + this.random()), () => {
        void this.dispatchOne(api).finally(next);
      });
    next();
  }

  /**
   * What a dispatcher does with an escalation: takes the unanswered assignment back (cleared, with
   * the reason in the timeline) and puts the unit on duty again, so a silent device does not keep
   * its unit busy for the rest of the run.
   */
  private takeBack(api: Api, assignmentId: string, unitId: string): void {
    if (this.reassigned.has(assignmentId) || this.stopped) {
      return;
    }
    this.reassigned.add(assignmentId);
    void api
      .call('changeAssignmentStatus', {
        params: { id: assignmentId },
        body: { status: 'cleared', reason: 'simulator: unacknowledged, taken back' },
      })
      .then(() => this.toAvailable(api, unitId))
      .catch((error: unknown) => this.failed('take back', error, [409]));
  }

  private async dispatchOne(api: Api): Promise<void> {
    const point = this.grid.randomStreetPoint();
    const [type, description] = INCIDENT_TYPES[Math.floor(this.random() * INCIDENT_TYPES.length)];
    const priority = (['P1', 'P2', 'P2', 'P3', 'P3', 'P4'] as const)[Math.floor(this.random() * 6)];
    const street = STREETS[Math.floor(this.random() * STREETS.length)];
    try {
      const { body: incident } = await api.client.incidents.create({
        type,
        priority,
        location: { type: 'Point', coordinates: [round(point.lon, 6), round(point.lat, 6)] },
        address: `${street} ${1 + Math.floor(this.random() * 200)}, ${this.grid.city.name}`,
        description: `${description} (simulado)`,
      });
      this.stats.incidents += 1;
      this.noteIncident(incident.id);
      // Only a unit whose device reported lately: the nearest available one with a fresh fix.
      const { body } = await api.client.units.nearest({
        lon: point.lon,
        lat: point.lat,
        limit: 1,
        maxAgeS: this.freshFixSeconds(),
      });
      const nearest = body.items[0];
      if (!nearest) {
        this.stats.noFreshUnit += 1;
        return;
      }
      this.stats.recommendations += 1;
      const assignment = await api.call('createAssignment', {
        params: { id: incident.id },
        body: { unitId: nearest.unitId },
      });
      if (assignment) {
        this.stats.dispatches += 1;
      }
    } catch (error) {
      // 409 from createAssignment: no unit available right now (all busy): not a failure.
      this.failed('dispatch', error, [409]);
    }
  }

  private noteIncident(incidentId: string): void {
    this.incidents.add(incidentId);
    if (this.incidents.size > KEEP_INCIDENTS) {
      this.incidents.delete(this.incidents.values().next().value as string);
    }
  }

  /** A fix counts as fresh for dispatch when it is at most three periods old (at least 10 s). */
  private freshFixSeconds(): number {
    return Math.max(10, Math.ceil(this.options.positionEverySeconds * 3));
  }

  // -------------------------------------------------------------------------------------------
  // Connections: counted in the status line, one log line per transition

  private onLinkState(link: Link, state: ConnectionState): void {
    if (this.stopped) {
      return;
    }
    const now = Date.now();
    switch (state.status) {
      case 'connected':
        if (link.downSince !== undefined) {
          this.log(
            `${link.name} connected again after ${((now - link.downSince) / 1000).toFixed(1)} s down`,
          );
        }
        link.connected = true;
        link.downSince = undefined;
        break;
      case 'down':
        if (link.downSince === undefined) {
          link.downSince = now;
          this.log(
            `${link.name} down: ${state.reason} (${state.message}); retrying in ${state.retryInMs} ms`,
          );
        }
        link.connected = false;
        break;
      case 'stopped':
        link.downSince ??= now;
        link.connected = false;
        link.stopped = true;
        this.log(`${link.name} stopped reconnecting: ${state.reason} (${state.message})`);
        break;
      case 'connecting':
        break;
    }
    this.countLinks();
  }

  private countLinks(): void {
    this.stats.connectedUnits = this.agents.filter((agent) => agent.link.connected).length;
    this.stats.downUnits = this.agents.filter((agent) => agent.link.downSince !== undefined).length;
    this.stats.consoleState = !this.consoleLink
      ? undefined
      : this.consoleLink.connected
        ? 'up'
        : this.consoleLink.downSince !== undefined
          ? 'down'
          : 'connecting';
  }

  // -------------------------------------------------------------------------------------------

  private failed(what: string, error: unknown, expected: number[] = []): void {
    if (this.stopped) {
      return;
    }
    if (isGadProblemError(error) && expected.includes(error.status)) {
      return;
    }
    this.stats.errors += 1;
    const text = isGadProblemError(error)
      ? `${error.status} ${error.code}: ${error.problem.detail ?? error.problem.title}`
      : error instanceof Error
        ? error.message
        : JSON.stringify(error);
    const code = isGadProblemError(error) ? error.code : (error as Error)?.name;
    this.once.log(`${what}:${code}`, `${what} failed: ${text} (further ones are only counted)`);
  }

  private printStatus(): void {
    const line = this.stats.statusLine();
    if (this.options.tty) {
      this.options.write(`\r\x1b[2K${line}`);
    } else {
      this.options.write(`${line}\n`);
    }
  }

  private log(line: string): void {
    this.options.write(`${this.options.tty ? '\r\x1b[2K' : ''}${line}\n`);
  }

  private after(ms: number, task: () => void): void {
    if (this.stopped) {
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, task: () => void): void {
    if (this.stopped) {
      return;
    }
    this.timers.add(setInterval(task, ms));
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
