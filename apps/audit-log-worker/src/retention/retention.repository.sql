-- Partition maintenance of `audit.entries`. Creating, detaching and dropping partitions runs in
-- the schema owner's SECURITY DEFINER functions (migration 1765300000002): the worker's runtime
-- role may only SELECT and INSERT (ADR 0025). A partition's heads are read by a statement built in
-- retention.repository.ts from a name checked against `entries_pYYYYMM`.

-- name: ensure_partitions
SELECT audit.ensure_partitions($1, $2) AS created;

-- name: partitions
SELECT c.relname AS name FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'audit.entries'::regclass AND c.relname ~ '^entries_p[0-9]{6}$'
ORDER BY c.relname;

-- Signed anchors (docs/adr/0022): purged_at is the signed time.
-- name: insert_purges
INSERT INTO audit.purges
  (agency_id, through_seq, through_hash, partition, purged_at, key_id, signature)
SELECT agency_id, seq, hash, $4, $5, $6, signature
FROM unnest($1::text[], $2::bigint[], $3::text[], $7::text[]) AS u(agency_id, seq, hash, signature);

-- name: drop_expired_partition
SELECT audit.drop_expired_partition($1);
