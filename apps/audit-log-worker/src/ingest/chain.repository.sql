-- The agencies' hash chains (`audit.entries`) and their signed checkpoints, as the writer
-- (`gad_audit_writer`) extends them inside one transaction holding each agency's chain lock.

-- name: agencies_written_since
SELECT DISTINCT agency_id FROM audit.entries WHERE recorded_at >= $1;

-- name: lock_chain
SELECT pg_advisory_xact_lock(hashtextextended('gad:audit:' || $1, 0));

-- Every chain of a batch (distinct ids) in one statement, one lock after the other in byte order of
-- the agency id (the same order for every writer, so writers never deadlock).
-- name: lock_chains
SELECT pg_advisory_xact_lock(hashtextextended('gad:audit:' || agency_id, 0))
FROM (SELECT agency_id FROM unnest($1::text[]) AS a(agency_id)
      ORDER BY agency_id COLLATE "C") AS locked;

-- What a batch's write needs of each of its chains, in one round trip (run after lock_chains, in a
-- statement of its own, so it sees every earlier writer's commit): the head (as `head` below), the
-- last checkpoint's seq, and which of the batch's entry ids the chain already holds.
-- name: chain_states
WITH stored AS (
  SELECT agency_id, array_agg(id::text) AS ids
  FROM audit.entries WHERE id = ANY($2::uuid[]) GROUP BY agency_id
)
SELECT a.agency_id, h.seq, h.hash, c.seq AS checkpoint_seq, stored.ids AS stored_ids
FROM unnest($1::text[]) AS a(agency_id)
LEFT JOIN LATERAL (
  SELECT seq, hash FROM (
    (SELECT seq, hash FROM audit.entries e WHERE e.agency_id = a.agency_id
     ORDER BY seq DESC LIMIT 1)
    UNION ALL
    (SELECT through_seq, through_hash FROM audit.purges p WHERE p.agency_id = a.agency_id
     ORDER BY through_seq DESC LIMIT 1)
  ) heads ORDER BY seq DESC LIMIT 1
) h ON true
LEFT JOIN LATERAL (
  SELECT seq FROM audit.checkpoints k WHERE k.agency_id = a.agency_id ORDER BY seq DESC LIMIT 1
) c ON true
LEFT JOIN stored ON stored.agency_id = a.agency_id;

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

-- `recorded_at` is taken after the lock, so it grows with `seq` in every chain. The entries come as
-- one JSON array of their canonical texts ($6), element i for row i.
-- name: insert_entries
INSERT INTO audit.entries (agency_id, seq, id, prev_hash, hash, entry, recorded_at)
SELECT agency_id, seq, id, prev_hash, hash, entry, clock_timestamp()
FROM ROWS FROM (
  unnest($1::text[]), unnest($2::bigint[]), unnest($3::uuid[]), unnest($4::text[]),
  unnest($5::text[]), jsonb_array_elements($6::jsonb)
) AS u(agency_id, seq, id, prev_hash, hash, entry);

-- name: hash_at
SELECT hash FROM audit.entries WHERE agency_id = $1 AND seq = $2 LIMIT 1;

-- name: last_checkpoint_seq
SELECT seq FROM audit.checkpoints WHERE agency_id = $1 ORDER BY seq DESC LIMIT 1;

-- name: insert_checkpoint
INSERT INTO audit.checkpoints
  (id, agency_id, seq, head_hash, count, prev_checkpoint_seq, created_at, key_id, signature)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);
