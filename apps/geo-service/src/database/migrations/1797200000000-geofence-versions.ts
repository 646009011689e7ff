import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version per agency's geofences (docs/adr/0034): `geo.geofence_versions` holds, for every agency
 * whose fences ever changed, a value of `geo.geofence_version_seq` written by a trigger in the same
 * transaction as any insert, update or delete of one of its fences (a TRUNCATE gives every agency a
 * new value). Values are never reused, so a geo-service replica holding a copy of an agency's fence
 * bounding boxes tagged with the version it read them at can tell, inside its ingestion statement,
 * whether the copy is still exact. An agency without a row has no fence (existing agencies get a
 * row here).
 */
export class GeofenceVersions1797200000000 implements MigrationInterface {
  name = 'GeofenceVersions1797200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE geo.geofence_version_seq`);
    await queryRunner.query(
      `CREATE TABLE geo.geofence_versions (
         agency_id text PRIMARY KEY,
         version bigint NOT NULL
       )`,
    );
    await queryRunner.query(
      `INSERT INTO geo.geofence_versions (agency_id, version)
       SELECT agency_id, nextval('geo.geofence_version_seq')
       FROM (SELECT DISTINCT agency_id FROM geo.geofences) a`,
    );
    await queryRunner.query(
      `CREATE FUNCTION geo.bump_geofence_version() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'TRUNCATE' THEN
           UPDATE geo.geofence_versions SET version = nextval('geo.geofence_version_seq');
           RETURN NULL;
         END IF;
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           INSERT INTO geo.geofence_versions AS v (agency_id, version)
           VALUES (OLD.agency_id, nextval('geo.geofence_version_seq'))
           ON CONFLICT (agency_id) DO UPDATE SET version = nextval('geo.geofence_version_seq');
         END IF;
         IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.agency_id <> OLD.agency_id) THEN
           INSERT INTO geo.geofence_versions AS v (agency_id, version)
           VALUES (NEW.agency_id, nextval('geo.geofence_version_seq'))
           ON CONFLICT (agency_id) DO UPDATE SET version = nextval('geo.geofence_version_seq');
         END IF;
         RETURN NULL;
       END
       $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER geofences_version AFTER INSERT OR UPDATE OR DELETE ON geo.geofences
       FOR EACH ROW EXECUTE FUNCTION geo.bump_geofence_version()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER geofences_version_truncate AFTER TRUNCATE ON geo.geofences
       FOR EACH STATEMENT EXECUTE FUNCTION geo.bump_geofence_version()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER geofences_version_truncate ON geo.geofences`);
    await queryRunner.query(`DROP TRIGGER geofences_version ON geo.geofences`);
    await queryRunner.query(`DROP FUNCTION geo.bump_geofence_version()`);
    await queryRunner.query(`DROP TABLE geo.geofence_versions`);
    await queryRunner.query(`DROP SEQUENCE geo.geofence_version_seq`);
  }
}
