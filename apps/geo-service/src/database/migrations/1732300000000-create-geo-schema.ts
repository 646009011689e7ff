import { outboxTableDdl } from '@gad/bus';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `geo` schema: the unit projection with each unit's latest position (`units`), the position
 * history partitioned by day of device time (`positions`, partitions made by the maintenance job),
 * geofences, sparse geofence membership (only units inside or about to enter have a row), per-agency
 * retention and the outbox.
 */
export class CreateGeoSchema1732300000000 implements MigrationInterface {
  name = 'CreateGeoSchema1732300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS postgis`);
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS geo`);

    // UUIDv7 (RFC 9562) for envelopes written by SQL into the outbox.
    await queryRunner.query(`
      CREATE FUNCTION geo.uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
        SELECT encode(
          set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid()) PLACING
              substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
            52, 1), 53, 1),
          'hex')::uuid
      $$`);
    // The same text as JavaScript's Date#toISOString (UTC, milliseconds).
    await queryRunner.query(`
      CREATE FUNCTION geo.iso_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`);

    await queryRunner.query(`
      CREATE TABLE geo.units (
        agency_id text NOT NULL,
        unit_id text NOT NULL,
        call_sign text,
        status text,
        capabilities text[] NOT NULL DEFAULT '{}',
        removed boolean NOT NULL DEFAULT false,
        projection_at timestamptz,
        location geography(Point, 4326),
        recorded_at timestamptz,
        seq bigint,
        accuracy_m real,
        speed_mps real,
        heading_deg real,
        received_at timestamptz,
        PRIMARY KEY (agency_id, unit_id)
      )`);
    // KNN (<->) and bbox scans per agency; the partial index serves geo.nearest's eligible scan.
    await queryRunner.query(
      `CREATE INDEX units_location_idx ON geo.units USING gist (agency_id, location)
         WHERE location IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX units_available_location_idx ON geo.units USING gist (agency_id, location)
         WHERE location IS NOT NULL AND status = 'available' AND NOT removed`,
    );

    await queryRunner.query(`
      CREATE TABLE geo.positions (
        agency_id text NOT NULL,
        unit_id text NOT NULL,
        recorded_at timestamptz NOT NULL,
        seq bigint NOT NULL,
        location geography(Point, 4326) NOT NULL,
        accuracy_m real,
        speed_mps real,
        heading_deg real,
        device_id text,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agency_id, unit_id, recorded_at, seq)
      ) PARTITION BY RANGE (recorded_at)`);

    await queryRunner.query(`
      CREATE TABLE geo.agency_settings (
        agency_id text PRIMARY KEY,
        position_retention_days integer NOT NULL CHECK (position_retention_days > 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE geo.geofences (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('zone', 'restricted_area', 'perimeter')),
        incident_id text,
        geometry_type text NOT NULL CHECK (geometry_type IN ('Polygon', 'MultiPolygon')),
        area geography(MultiPolygon, 4326) NOT NULL,
        area_geom geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (area::geometry) STORED,
        vertex_count integer NOT NULL,
        min_inside_s integer NOT NULL DEFAULT 0 CHECK (min_inside_s >= 0),
        min_outside_s integer NOT NULL DEFAULT 0 CHECK (min_outside_s >= 0),
        dwell_threshold_s integer CHECK (dwell_threshold_s > 0),
        accuracy_margin_m real CHECK (accuracy_margin_m >= 0),
        expires_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind <> 'perimeter' OR incident_id IS NOT NULL)
      )`);
    await queryRunner.query(
      `CREATE INDEX geofences_area_idx ON geo.geofences USING gist (agency_id, area_geom)`,
    );
    await queryRunner.query(`CREATE INDEX geofences_agency_idx ON geo.geofences (agency_id, id)`);

    await queryRunner.query(`
      CREATE TABLE geo.geofence_membership (
        agency_id text NOT NULL,
        geofence_id uuid NOT NULL REFERENCES geo.geofences (id) ON DELETE CASCADE,
        unit_id text NOT NULL,
        state text NOT NULL CHECK (state IN ('inside', 'outside')),
        state_since timestamptz NOT NULL,
        pending_state text CHECK (pending_state IN ('inside', 'outside')),
        pending_since timestamptz,
        dwell_notified boolean NOT NULL DEFAULT false,
        evaluated_at timestamptz NOT NULL,
        PRIMARY KEY (agency_id, geofence_id, unit_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX geofence_membership_unit_idx ON geo.geofence_membership (agency_id, unit_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX geofence_membership_fence_idx ON geo.geofence_membership (geofence_id)`,
    );

    await queryRunner.query(outboxTableDdl('geo'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA geo CASCADE`);
  }
}
