-- The platform's metadata. Written once for SQLite and PostgreSQL: TEXT, BIGINT and
-- DOUBLE PRECISION only, ids assigned by the application, times as RFC 3339 text in UTC.

CREATE TABLE organizations (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    level       TEXT NOT NULL,
    region      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    username       TEXT PRIMARY KEY,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    organization   TEXT REFERENCES organizations (code),
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    disabled       BIGINT NOT NULL DEFAULT 0
);

-- Cookie sessions and API tokens: only a digest of the secret is kept.
CREATE TABLE credentials (
    token_digest  TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users (username),
    kind          TEXT NOT NULL,
    label         TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);

CREATE TABLE catalog_entries (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    owner           TEXT NOT NULL REFERENCES organizations (code),
    body            TEXT NOT NULL,
    search_text     TEXT NOT NULL,
    item_count      BIGINT NOT NULL,
    sharing         TEXT NOT NULL,
    open_attribute  TEXT NOT NULL,
    revision        BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX catalog_entries_owner ON catalog_entries (owner);

-- One row per accepted upload; the current version of an entry is its highest.
CREATE TABLE dataset_versions (
    entry_id     TEXT NOT NULL REFERENCES catalog_entries (id),
    version      BIGINT NOT NULL,
    mode         TEXT NOT NULL,
    path         TEXT NOT NULL,
    row_count    BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    source_name  TEXT NOT NULL,
    report       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (entry_id, version)
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
