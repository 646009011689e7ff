-- Entries of one agency, newest first. `{where}` is the conjunction of `agency_id = $1` and the
-- filters the request gives (query.repository.ts: each a fixed condition with its own parameter);
-- `{limit}` the parameter after them.

-- name: find_entries
SELECT seq, hash, prev_hash, recorded_at, entry FROM audit.entries
WHERE {where} ORDER BY seq DESC LIMIT {limit};
