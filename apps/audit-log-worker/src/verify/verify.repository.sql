-- Reads a chain for verification (any role with SELECT on `audit`).

-- name: purge_anchor
SELECT through_seq, through_hash, partition, purged_at, key_id, signature FROM audit.purges
WHERE agency_id = $1 ORDER BY through_seq DESC LIMIT 1;

-- name: extent
SELECT (SELECT max(seq) FROM audit.entries WHERE agency_id = $1) AS head_seq,
       (SELECT max(seq) FROM audit.checkpoints WHERE agency_id = $1) AS checkpoint_seq;

-- name: seq_bounds_for_time
SELECT min(seq) AS min, max(seq) AS max FROM audit.entries
WHERE agency_id = $1 AND ($2::timestamptz IS NULL OR occurred_at >= $2)
  AND ($3::timestamptz IS NULL OR occurred_at < $3);

-- name: page
SELECT seq, id::text AS id, prev_hash, hash, entry FROM audit.entries
  WHERE agency_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4;

-- name: checkpoints
SELECT id::text AS id, agency_id, seq, head_hash, count, prev_checkpoint_seq, created_at,
       key_id, signature
FROM audit.checkpoints WHERE agency_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq;
