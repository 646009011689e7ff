/**
 * The stored form of audit strings moved to `@gad/audit`, which the services' audit outboxes share
 * with this worker (docs/adr/0021): one escape rule for every `jsonb` column that holds an entry.
 */
export {
  STORED_ESCAPE_MARK,
  fromStorableJson,
  fromStorableString,
  toStorableJson,
  toStorableString,
} from '@gad/audit';
