-- The open-data portal's counters per catalog entry: page views, downloads and API calls
-- (the CKAN and DCAT adapters, previews). Counters only: no visitor is recorded.

CREATE TABLE open_counts (
    entry_id   TEXT PRIMARY KEY REFERENCES catalog_entries (id),
    views      BIGINT NOT NULL DEFAULT 0,
    downloads  BIGINT NOT NULL DEFAULT 0,
    api_calls  BIGINT NOT NULL DEFAULT 0
);
