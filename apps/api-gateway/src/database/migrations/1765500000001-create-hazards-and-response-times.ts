import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Premise and hazard information (a point with a radius or a polygon, per agency) and the
 * response-time summary: one row per incident with its milestones, kept by the dispatch unit of
 * work from the timeline and covered by one index for the figures of a year
 * (docs/adr/0027-response-figures-and-flight-recorder.md). Existing incidents are summarised here.
 */
export class CreateHazardsAndResponseTimes1765500000001 implements MigrationInterface {
  name = 'CreateHazardsAndResponseTimes1765500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dispatch.hazards (
        id uuid PRIMARY KEY,
        agency_id text NOT NULL,
        title text NOT NULL,
        details text,
        severity text NOT NULL CHECK (severity IN ('info','caution','danger')),
        address text,
        area geography NOT NULL,
        radius_m double precision NOT NULL CHECK (radius_m >= 0),
        expires_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX hazards_area_idx ON dispatch.hazards USING gist (area) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX hazards_agency_idx ON dispatch.hazards (agency_id, id) WHERE deleted_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE dispatch.incident_response_times (
        incident_id uuid PRIMARY KEY REFERENCES dispatch.incidents (id),
        agency_id text NOT NULL,
        priority text NOT NULL,
        type text NOT NULL,
        zone text NOT NULL,
        created_at timestamptz NOT NULL,
        call_received_at timestamptz,
        first_dispatch_at timestamptz,
        first_en_route_at timestamptz,
        first_on_scene_at timestamptz,
        cleared_at timestamptz
      )`);
    // The figures and the export read this index only (index-only scans over a year).
    await queryRunner.query(`
      CREATE INDEX incident_response_times_range_idx
        ON dispatch.incident_response_times (agency_id, created_at)
        INCLUDE (priority, type, zone, call_received_at, first_dispatch_at, first_en_route_at,
                 first_on_scene_at, cleared_at)`);
    await queryRunner.query(`
      INSERT INTO dispatch.incident_response_times
        (incident_id, agency_id, priority, type, zone, created_at, call_received_at,
         first_dispatch_at, first_en_route_at, first_on_scene_at, cleared_at)
      SELECT i.id, i.agency_id, i.priority, i.type, ST_GeoHash(i.location::geometry, 5),
             i.created_at, NULL,
             min(t.at) FILTER (WHERE t.kind = 'assignment.created'),
             min(t.at) FILTER (WHERE t.kind = 'assignment.updated' AND t.detail->>'to' = 'en_route'),
             min(t.at) FILTER (WHERE t.kind = 'assignment.updated' AND t.detail->>'to' = 'on_scene'),
             min(t.at) FILTER (WHERE t.kind = 'incident.status_changed'
                                 AND t.detail->>'to' IN ('resolved','closed'))
        FROM dispatch.incidents i
        LEFT JOIN dispatch.incident_timeline t ON t.agency_id = i.agency_id AND t.incident_id = i.id
       GROUP BY i.id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispatch.incident_response_times`);
    await queryRunner.query(`DROP TABLE dispatch.hazards`);
  }
}
