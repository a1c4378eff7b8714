-- Releases (开放): immutable published snapshots of a catalog entry, numbered per entry. A
-- withdrawn release keeps its row (the record) with who withdrew it, when and why.

CREATE TABLE releases (
    id                TEXT PRIMARY KEY,
    entry_id          TEXT NOT NULL REFERENCES catalog_entries (id),
    number            BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    audience          TEXT NOT NULL,
    object            TEXT NOT NULL,
    rows_released     BIGINT NOT NULL,
    columns_released  TEXT NOT NULL,
    policy_id         TEXT NOT NULL DEFAULT '',
    report            TEXT NOT NULL DEFAULT '',
    input_sha256      TEXT NOT NULL,
    output_sha256     TEXT NOT NULL,
    published_by      TEXT NOT NULL,
    published_at      TEXT NOT NULL,
    withdrawn_by      TEXT NOT NULL DEFAULT '',
    withdrawn_at      TEXT NOT NULL DEFAULT '',
    withdrawn_reason  TEXT NOT NULL DEFAULT '',
    UNIQUE (entry_id, number)
);
