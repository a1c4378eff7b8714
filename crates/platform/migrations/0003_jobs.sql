-- Stored policies and the server's jobs. Text columns are '' when not (yet) set.

CREATE TABLE policies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    entry_id          TEXT NOT NULL REFERENCES catalog_entries (id),
    version           BIGINT NOT NULL,
    policy_id         TEXT NOT NULL REFERENCES policies (id),
    owner             TEXT NOT NULL,
    state             TEXT NOT NULL,
    phase             TEXT NOT NULL DEFAULT '',
    rows_done         BIGINT NOT NULL DEFAULT 0,
    error             TEXT NOT NULL DEFAULT '',
    report            TEXT NOT NULL DEFAULT '',
    output            TEXT NOT NULL DEFAULT '',
    cancel_requested  BIGINT NOT NULL DEFAULT 0,
    submitted_by      TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    started_at        TEXT NOT NULL DEFAULT '',
    heartbeat_at      TEXT NOT NULL DEFAULT '',
    finished_at       TEXT NOT NULL DEFAULT ''
);

CREATE INDEX jobs_by_state ON jobs (state, created_at);
