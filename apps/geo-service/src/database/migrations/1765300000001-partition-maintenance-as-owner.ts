import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The daily partitions of `geo.positions` are created and dropped by functions that run as the
 * schema owner (SECURITY DEFINER), so geo-service's runtime role keeps DML only (ADR 0025). Both
 * take a day or a checked partition name, never SQL. Only roles with USAGE on `geo` (the migrator
 * and geo-service) can reach them.
 */
export class PartitionMaintenanceAsOwner1765300000001 implements MigrationInterface {
  name = 'PartitionMaintenanceAsOwner1765300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION geo.create_positions_partition(day date) RETURNS boolean
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        partition_name text := 'positions_p' || to_char(day, 'YYYYMMDD');
      BEGIN
        IF to_regclass('geo.' || partition_name) IS NOT NULL THEN
          RETURN false;
        END IF;
        EXECUTE format(
          'CREATE TABLE IF NOT EXISTS geo.%I PARTITION OF geo.positions FOR VALUES FROM (%L) TO (%L)',
          partition_name,
          day::timestamp AT TIME ZONE 'UTC',
          (day + 1)::timestamp AT TIME ZONE 'UTC');
        RETURN true;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION geo.drop_positions_partition(partition_name text) RETURNS void
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      BEGIN
        IF partition_name !~ '^positions_p[0-9]{8}$' THEN
          RAISE EXCEPTION 'not a positions partition: %', partition_name
            USING ERRCODE = 'invalid_parameter_value';
        END IF;
        EXECUTE format('DROP TABLE IF EXISTS geo.%I', partition_name);
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION geo.drop_positions_partition(text)`);
    await queryRunner.query(`DROP FUNCTION geo.create_positions_partition(date)`);
  }
}
