//! The authority's read-only SQL over the current version of every dataset. Each dataset is the
//! table `e_…` (its entry id with `-` as `_`); every query is audited with its text.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::{Json, Router};
use pubdata_platform::access::Action;
use pubdata_platform::audit::Outcome;
use pubdata_platform::ingest::{dataset_schema, datasets_dir};
use pubdata_query::datasets::{DatasetTable, QueryResult, query_datasets};
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

/// The table name of an entry's dataset.
pub(crate) fn table_name(entry_id: &str) -> String {
    entry_id.replace('-', "_")
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
    let root = datasets_dir(&s.data_dir);
    let mut tables = Vec::new();
    for v in s.store.current_versions().await? {
        let entry = s.store.entry(&v.entry_id).await?;
        tables.push(DatasetTable {
            name: table_name(&v.entry_id),
            schema: dataset_schema(&entry.entry.items),
            parts: v.parts.iter().map(|p| root.join(p)).collect(),
        });
    }
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_ROWS);
    let detail: String = q.sql.chars().take(1000).collect();
    match query_datasets(&tables, &q.sql, limit).await {
        Ok(result) => {
            s.store
                .audit(
                    caller.actor(),
                    "dataset.query",
                    "datasets",
                    Outcome::Success,
                    &detail,
                )
                .await?;
            Ok(Json(result))
        }
        Err(e) => {
            s.store
                .audit(
                    caller.actor(),
                    "dataset.query",
                    "datasets",
                    Outcome::Failed,
                    &detail,
                )
                .await?;
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "query",
                e.to_string(),
            ))
        }
    }
}
