import type { Envelope } from '@gad/contracts';
import { OutboxRelay, OutboxWriter, pgPoolTransactionRunner, UnitOfWork } from '@gad/bus';
import { createDataSource, Database, initializeDataSource, type Clock } from '@gad/platform';
import { createTestDatabase, type TestDatabase } from '@gad/testing';
import { NearestRepository } from '@gad/geo-read';
import type { DataSource } from 'typeorm';
import { GEO_CONNECTION_SETTINGS, GEO_SCHEMA, geoMigrations } from '../src/database/data-source';
import { geoServiceEnvSchema, type GeoServiceConfig } from '../src/geo-service.config';
import { GeofenceDwellService } from '../src/geofences/geofence-dwell.service';
import { GeofencesRepository } from '../src/geofences/geofences.repository';
import { GeofencesService } from '../src/geofences/geofences.service';
import { NearestService } from '../src/nearest/nearest.service';
import { GeoOutbox } from '../src/geofences/geo-outbox.service';
import { PositionsRepository } from '../src/positions/positions.repository';
import { PositionsService } from '../src/positions/positions.service';
import { UnitMovedService, UnitMovedSink } from '../src/positions/unit-moved.service';
import { RetentionRepository } from '../src/retention/retention.repository';
import { RetentionService } from '../src/retention/retention.service';
import { UnitsRepository } from '../src/units/units.repository';
import { UnitsService } from '../src/units/units.service';

/** A square of `size` degrees with its south-west corner at (lon, lat). */
export function square(lon: number, lat: number, size: number) {
  return {
    type: 'Polygon' as const,
    coordinates: [
      [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
      ] as Array<[number, number]>,
    ],
  };
}

/** A clock the test can move; real time unless set. */
export class TestClock implements Clock {
  private fixed?: Date;

  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date();
  }

  set(at: Date | undefined): void {
    this.fixed = at;
  }
}

export class CapturingSink extends UnitMovedSink {
  readonly published: Envelope[] = [];

  publish(_stream: string, envelopes: readonly Envelope[]): Promise<unknown> {
    this.published.push(...envelopes);
    return Promise.resolve([]);
  }
}

export interface GeoHarness {
  db: TestDatabase;
  dataSource: DataSource;
  config: GeoServiceConfig;
  clock: TestClock;
  sink: CapturingSink;
  positions: PositionsService;
  geofences: GeofencesService;
  /** Fires dwell for units that stopped reporting (the app runs it every GEOFENCE_DWELL_CHECK_MS). */
  dwell: GeofenceDwellService;
  nearest: NearestService;
  units: UnitsService;
  retention: RetentionService;
  unitMoved: UnitMovedService;
  /** Holds this instance's copy of the agencies' fence boxes (`boxes`, docs/adr/0034). */
  geofencesRepository: GeofencesRepository;
  close(): Promise<void>;
}

export interface GeoHarnessOptions {
  /**
   * Another instance's database: this one is a second geo-service replica on it (its own pool
   * and fence box copies); closing it leaves the database.
   */
  shareDatabaseOf?: GeoHarness;
  /**
   * Reload the agency's fence box copy before each ingested batch, so every evaluation goes
   * through the copy's candidates instead of the fence index probe (unless a fence changes in
   * between, as another replica's change would).
   */
  freshFenceBoxes?: boolean;
}

/**
 * The geo-service domain wired by hand against a fresh PostGIS database with the migrations
 * applied (no Nest, no Redis): real SQL, real partitions.
 */
export async function createGeoHarness(
  env: Record<string, string> = {},
  options: GeoHarnessOptions = {},
): Promise<GeoHarness> {
  const shared = options.shareDatabaseOf;
  const db = shared ? shared.db : await createTestDatabase();
  const dataSource = createDataSource({
    url: db.url,
    schema: GEO_SCHEMA,
    migrations: geoMigrations,
    poolSize: 4,
    applicationName: 'geo-service-test',
    settings: GEO_CONNECTION_SETTINGS,
  });
  await initializeDataSource(dataSource, { migrationsRun: true });
  const config = geoServiceEnvSchema.parse(env);
  const clock = new TestClock();
  const sink = new CapturingSink();
  const database = new Database(dataSource);
  const positionsRepository = new PositionsRepository(database);
  const geofencesRepository = new GeofencesRepository(database);
  const retention = new RetentionService(new RetentionRepository(database), clock, config);
  const unitMoved = new UnitMovedService(sink, config);
  const positions = new PositionsService(
    positionsRepository,
    geofencesRepository,
    retention,
    new GeoOutbox(),
    unitMoved,
    clock,
    config,
  );
  if (options.freshFenceBoxes) {
    const ingest = positions.ingest.bind(positions);
    positions.ingest = async (agencyId, input, traceparent) => {
      await geofencesRepository.boxes.refresh(agencyId);
      return ingest(agencyId, input, traceparent);
    };
  }
  if (!shared) {
    await retention.runOnce();
  }
  return {
    db,
    dataSource,
    config,
    clock,
    sink,
    positions,
    geofences: new GeofencesService(
      geofencesRepository,
      // No relay runs here: these changes carry no audit entry, so nothing is nudged.
      new UnitOfWork(
        database,
        new OutboxWriter(GEO_SCHEMA),
        new OutboxRelay({
          runner: pgPoolTransactionRunner(database.pool),
          redis: 'redis://127.0.0.1:1',
          schema: GEO_SCHEMA,
        }),
      ),
      clock,
      config,
    ),
    dwell: new GeofenceDwellService(geofencesRepository, new GeoOutbox(), clock, config),
    nearest: new NearestService(new NearestRepository(database), clock, config),
    units: new UnitsService(new UnitsRepository(database)),
    retention,
    unitMoved,
    geofencesRepository,
    close: async () => {
      await dataSource.destroy();
      if (!shared) {
        await db.drop();
      }
    },
  };
}
