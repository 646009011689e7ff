-- Partition maintenance and per-agency retention of `geo.positions`. The partition DDL runs in
-- functions owned by the schema owner (SECURITY DEFINER, migration 1765300000001): geo-service's
-- runtime role has DML only (ADR 0025).

-- name: try_maintenance_lock
SELECT pg_try_advisory_lock(hashtext($1)) AS locked;

-- name: maintenance_unlock
SELECT pg_advisory_unlock(hashtext($1));

-- name: set_retention
INSERT INTO geo.agency_settings (agency_id, position_retention_days)
VALUES ($1, $2)
ON CONFLICT (agency_id) DO UPDATE
  SET position_retention_days = EXCLUDED.position_retention_days, updated_at = now();

-- The agency's own retention removed: the deployment's POSITION_RETENTION_DAYS applies again.
-- name: clear_retention
DELETE FROM geo.agency_settings WHERE agency_id = $1;

-- name: partitions
SELECT c.relname AS name
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'geo.positions'::regclass
ORDER BY c.relname;

-- name: create_partition
SELECT geo.create_positions_partition($1::date) AS created;

-- name: drop_partition
SELECT geo.drop_positions_partition($1);

-- name: agency_retentions
SELECT agency_id, position_retention_days AS days FROM geo.agency_settings;

-- name: delete_older_than
DELETE FROM geo.positions WHERE agency_id = $1 AND recorded_at < $2;

-- name: delete_older_than_except
DELETE FROM geo.positions WHERE recorded_at < $1 AND agency_id <> ALL($2::text[]);
