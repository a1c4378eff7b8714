//! The authority's read-only SQL over dataset versions. The table `e_…` (an entry id with `-` as
//! `_`) is the entry's current version and `e_…_vN` its version N; every query is audited with its
//! text and the versions it read.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::{Json, Router};
use pubdata_platform::access::Action;
use pubdata_platform::audit::Outcome;
use pubdata_platform::ingest::dataset_schema;
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::StoreError;
use pubdata_query::datasets::{DatasetTable, QueryResult, query_datasets, referenced_tables};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Rows returned at most.
const MAX_ROWS: usize = 10_000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/sql", axum::routing::post(run))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    sql: String,
    #[serde(default)]
    limit: Option<usize>,
}

/// The dataset version a table name stands for, if any: `e_…` is the entry's current version,
/// `e_…_vN` its version N. Returns the table and the version read.
async fn dataset_table(s: &AppState, name: &str) -> Result<Option<(DatasetTable, i64)>, ApiError> {
    let Some(rest) = name.strip_prefix("e_") else {
        return Ok(None);
    };
    // Entry ids are `e-` and base32 letters, so `_v` can only start a version suffix.
    let (id, version) = match rest.rsplit_once("_v") {
        Some((id, n)) => match n.parse::<i64>() {
            Ok(n) => (id, Some(n)),
            Err(_) => return Ok(None),
        },
        None => (rest, None),
    };
    let entry_id = format!("e-{id}");
    let entry = match s.store.entry(&entry_id).await {
        Ok(e) => e,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let versions = s.store.versions(&entry_id).await?;
    let chosen = match version {
        Some(n) => versions.into_iter().find(|v| v.version == n),
        // Newest first: the first is the current one.
        None => versions.into_iter().next(),
    };
    let Some(v) = chosen else {
        return Ok(None);
    };
    let table = DatasetTable {
        name: name.to_string(),
        schema: dataset_schema(&entry.entry.items),
        objects: s.datasets.objects(),
        parts: v
            .parts
            .iter()
            .map(|p| DatasetStorage::path(p))
            .collect::<Result<_, _>>()
            .map_err(ApiError::internal)?,
        scratch: s.datasets.scratch().to_path_buf(),
    };
    Ok(Some((table, v.version)))
}

async fn run(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<Query>, JsonRejection>,
) -> Result<Json<QueryResult>, ApiError> {
    caller.check_csrf_header(&headers)?;
    let q = body
        .map(|Json(q)| q)
        .map_err(|r| ApiError::new(r.status(), "bad_request", r.body_text()))?;
    caller
        .may(&s, &Action::QueryData, "dataset.query", "datasets")
        .await?;
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_ROWS);
    let text: String = q.sql.chars().take(1000).collect();
    // Only the datasets the query names are looked up: a province has millions of entries.
    let mut tables = Vec::new();
    let mut read = Vec::new();
    let result = match referenced_tables(&q.sql) {
        Ok(names) => {
            for name in &names {
                if let Some((table, version)) = dataset_table(&s, name).await? {
                    read.push(format!("{name}=v{version}"));
                    tables.push(table);
                }
            }
            query_datasets(&tables, &q.sql, limit).await
        }
        Err(e) => Err(e),
    };
    // The auditor sees the text and which versions it read.
    let detail = format!("{text} [read: {}]", read.join(", "));
    let outcome = match &result {
        Ok(_) => Outcome::Success,
        Err(_) => Outcome::Failed,
    };
    s.store
        .audit(
            caller.actor(),
            "dataset.query",
            "datasets",
            outcome,
            &detail,
        )
        .await?;
    result.map(Json).map_err(|e| {
        // The caller's message names parts as versions list them; the log keeps the causes
        // (which may name the server's folders).
        eprintln!("pubdata serve: query failed: {e:?}");
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "query", e.to_string())
    })
}
