-- A release's plan (each column with what the scan found and what the release did), so that the
-- opening rules can judge it again against the entry as it is now: a release made under a
-- catalog that has since become stricter is no longer served.

ALTER TABLE releases ADD COLUMN plan TEXT NOT NULL DEFAULT '';
