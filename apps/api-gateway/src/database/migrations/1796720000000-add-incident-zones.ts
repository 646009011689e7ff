import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Named zones (docs/adr/0027): an incident keeps the zone geofence of its agency that contained
 * its location when it was created or moved (id and name, as geo-service answered), or none, and
 * how the zone was found. The response-time summary reports the name, else the geohash-5 cell.
 * Incidents created before are `unresolved` (never looked up) and keep their cell. Constant
 * defaults and nullable columns: no table rewrite.
 */
export class AddIncidentZones1796720000000 implements MigrationInterface {
  name = 'AddIncidentZones1796720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dispatch.incidents
        ADD COLUMN zone_id uuid,
        ADD COLUMN zone_name text,
        ADD COLUMN zone_source text NOT NULL DEFAULT 'unresolved'`);
    // NOT VALID then VALIDATE: the check does not hold a lock that blocks writes while it scans.
    await queryRunner.query(`
      ALTER TABLE dispatch.incidents ADD CONSTRAINT incidents_zone_check CHECK (
        zone_source IN ('geofence', 'cell', 'unresolved')
        AND (zone_source = 'geofence') = (zone_id IS NOT NULL AND zone_name IS NOT NULL)
      ) NOT VALID`);
    await queryRunner.query(
      `ALTER TABLE dispatch.incidents VALIDATE CONSTRAINT incidents_zone_check`,
    );
  }

  /** Documentation of the inverse only: no tool runs it (docs/adr/0025). */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dispatch.incidents
        DROP CONSTRAINT incidents_zone_check,
        DROP COLUMN zone_source,
        DROP COLUMN zone_name,
        DROP COLUMN zone_id`);
  }
}
