import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Partition maintenance runs as the schema owner while the worker's runtime role has only SELECT and
 * INSERT on `audit` (ADR 0025): `ensure_partitions` becomes SECURITY DEFINER, and
 * `drop_expired_partition` detaches and drops one expired partition (the worker records the cut
 * points in `audit.purges` in the same transaction). The function itself refuses a partition that
 * is not at least 12 whole months old or whose chains' last entries no signed checkpoint covers,
 * so the runtime role cannot remove fresh evidence.
 * Only roles with USAGE on `audit` (the migrator and the worker) can reach either function.
 */
export class PartitionMaintenanceAsOwner1765300000002 implements MigrationInterface {
  name = 'PartitionMaintenanceAsOwner1765300000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER FUNCTION audit.ensure_partitions(int, int)
       SECURITY DEFINER SET search_path = pg_catalog, pg_temp`,
    );
    await queryRunner.query(`
      CREATE FUNCTION audit.drop_expired_partition(partition_name text) RETURNS void
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        uncovered boolean;
      BEGIN
        IF partition_name !~ '^entries_p[0-9]{6}$' THEN
          RAISE EXCEPTION 'not an audit partition: %', partition_name
            USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF to_date(substr(partition_name, 10), 'YYYYMM')
           >= (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '12 months')::date THEN
          RAISE EXCEPTION 'audit partition % is within the 12-month minimum retention', partition_name
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format(
          'SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (agency_id) agency_id, seq '
          'FROM audit.%I ORDER BY agency_id, seq DESC) h WHERE NOT EXISTS ('
          'SELECT 1 FROM audit.checkpoints c WHERE c.agency_id = h.agency_id AND c.seq >= h.seq))',
          partition_name) INTO uncovered;
        IF uncovered THEN
          RAISE EXCEPTION 'audit partition % holds entries no checkpoint covers', partition_name
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format('ALTER TABLE audit.entries DETACH PARTITION audit.%I', partition_name);
        EXECUTE format('DROP TABLE audit.%I', partition_name);
      END $$`);
  }

  /** Audit evidence is never rolled back by a tool: forward fixes only (ADR 0025). */
  async down(): Promise<void> {
    throw new Error(
      'audit migrations are not reverted (docs/adr/0025-schema-changes-roll-forward.md): write a forward fix',
    );
  }
}
