-- The audit entry that committed each dataset version (its seq and hash): a record of the audit
-- chain's head outside the audit table, so that deleting the newest entries shows against it.
-- Versions committed before this was kept have 0 and ''.
ALTER TABLE dataset_versions ADD COLUMN audit_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dataset_versions ADD COLUMN audit_hash TEXT NOT NULL DEFAULT '';
