-- The agencies' hash chains (`audit.entries`) and their signed checkpoints, as the writer
-- (`gad_audit_writer`) extends them inside one transaction holding each agency's chain lock.

-- name: agencies_written_since
SELECT DISTINCT agency_id FROM audit.entries WHERE recorded_at >= $1;

-- name: lock_chain
SELECT pg_advisory_xact_lock(hashtextextended('gad:audit:' || $1, 0));

-- The newest entry, or where retention cut the chain when it purged every entry it had: a chain
-- continues after its purge anchor, never restarts at 1.
-- name: head
SELECT seq, hash FROM (
  (SELECT seq, hash FROM audit.entries WHERE agency_id = $1 ORDER BY seq DESC LIMIT 1)
  UNION ALL
  (SELECT through_seq, through_hash FROM audit.purges WHERE agency_id = $1
   ORDER BY through_seq DESC LIMIT 1)
) h ORDER BY seq DESC LIMIT 1;

-- name: existing_ids
SELECT id::text AS id FROM audit.entries WHERE agency_id = $1 AND id = ANY($2::uuid[]);

-- `recorded_at` is taken after the lock, so it grows with `seq` in every chain.
-- name: insert_entries
INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry, recorded_at)
SELECT agency_id, seq, id, prev_hash, hash, entry::jsonb, clock_timestamp()
FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[])
  AS u(agency_id, seq, id, prev_hash, hash, entry);

-- name: hash_at
SELECT hash FROM audit.entries WHERE agency_id = $1 AND seq = $2 LIMIT 1;

-- name: last_checkpoint_seq
SELECT seq FROM audit.checkpoints WHERE agency_id = $1 ORDER BY seq DESC LIMIT 1;

-- name: insert_checkpoint
INSERT INTO audit.checkpoints
  (id, agency_id, seq, head_hash, count, prev_checkpoint_seq, created_at, key_id, signature)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);
