import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Geofences are plain longitude/latitude polygons: they were already tested for containment as
 * geometry (`area_geom`), but stored as geography first, and the cast to geography refuses
 * polygons with an edge of 180° of longitude ("Antipodal edge": a whole-world fence) and reads long
 * edges as great circles. The polygon is now stored as geometry only (`area_geom`, what every query
 * reads), so any valid lon/lat polygon can be a fence.
 */
export class StoreGeofencesAsGeometry1796577516000 implements MigrationInterface {
  name = 'StoreGeofencesAsGeometry1796577516000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE geo.geofences DROP COLUMN area_geom`);
    await queryRunner.query(
      `ALTER TABLE geo.geofences ALTER COLUMN area TYPE geometry(MultiPolygon, 4326)
         USING area::geometry`,
    );
    await queryRunner.query(`ALTER TABLE geo.geofences RENAME COLUMN area TO area_geom`);
    await queryRunner.query(
      `CREATE INDEX geofences_area_idx ON geo.geofences USING gist (agency_id, area_geom)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX geo.geofences_area_idx`);
    await queryRunner.query(`ALTER TABLE geo.geofences RENAME COLUMN area_geom TO area`);
    await queryRunner.query(
      `ALTER TABLE geo.geofences ALTER COLUMN area TYPE geography(MultiPolygon, 4326)
         USING area::geography`,
    );
    await queryRunner.query(
      `ALTER TABLE geo.geofences ADD COLUMN area_geom geometry(MultiPolygon, 4326)
         GENERATED ALWAYS AS (area::geometry) STORED`,
    );
    await queryRunner.query(
      `CREATE INDEX geofences_area_idx ON geo.geofences USING gist (agency_id, area_geom)`,
    );
  }
}
