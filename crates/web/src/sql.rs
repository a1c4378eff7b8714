//! The authority's read-only SQL over dataset versions. The table `e_…` (an entry id with `-` as
//! `_`) is the entry's current version and `e_…_vN` its version N; every query is audited with its
//! text and the versions it read.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use pubdata_platform::access::Action;
use pubdata_platform::audit::Outcome;
use pubdata_platform::storage::DatasetStorage;
use pubdata_query::datasets::{
    DatasetTable, QueryLimits, QueryResult, normalized_sql, query_datasets, referenced_tables,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run))
        .routes(routes!(list_tables))
}

/// Which catalog entries' tables to list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TablesQuery {
    /// Words that must all appear in the entry.
    q: Option<String>,
    /// An organization's code.
    owner: Option<String>,
    /// Catalog entries to look at (default 50, at most 500); those without data have no table.
    limit: Option<u32>,
    /// Catalog entries to skip.
    offset: Option<u32>,
}

/// One dataset's table as SQL reads it.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SqlTable {
    /// The name to query: the entry's current version.
    table: String,
    /// The catalog entry.
    entry_id: String,
    /// The entry's title.
    title: String,
    /// The current version (`<table>_v<N>` reads version N).
    version: i64,
    /// Rows in the current version.
    rows: i64,
    /// The current version's columns, in order.
    columns: Vec<SqlColumn>,
}

/// A column of a dataset's table.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SqlColumn {
    /// Its name.
    name: String,
    /// Its type, as the SQL answer names types.
    #[serde(rename = "type")]
    data_type: String,
}

/// The tables of one page of catalog entries.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SqlTables {
    /// Catalog entries that match in all (with data or not).
    entries: i64,
    /// The tables of the entries on this page that have data.
    tables: Vec<SqlTable>,
}

/// The tables SQL can read: the current version of each entry with data, with its columns as
/// that version was written.
///
/// Who may call it: an authority administrator.
#[utoipa::path(get, path = "/api/v1/sql/tables", tag = "data", params(TablesQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The tables.", body = SqlTables)))]
async fn list_tables(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<axum::extract::Query<TablesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SqlTables>, ApiError> {
    let axum::extract::Query(q) = q.map_err(|r| ApiError::bad_request(r.body_text()))?;
    caller.may(&s, &Action::QueryData, "datasets").await?;
    let (entries, total) = s
        .store
        .entries(&pubdata_platform::store::EntryQuery {
            text: q.q,
            owner: q.owner,
            limit: q.limit,
            offset: q.offset,
        })
        .await?;
    let mut tables = Vec::new();
    for e in entries {
        let Some(current) = s.store.versions(&e.id).await?.into_iter().next() else {
            continue;
        };
        let Some(first) = current.parts.first() else {
            continue;
        };
        let schema = part_schema(&s, first).await?;
        tables.push(SqlTable {
            table: pubdata_release::names::table_name(&e.id),
            entry_id: e.id.clone(),
            title: e.entry.title.clone(),
            version: current.version,
            rows: current.rows,
            columns: schema
                .fields()
                .iter()
                .map(|f| SqlColumn {
                    name: f.name().clone(),
                    data_type: pubdata_query::datasets::type_name(f.data_type()),
                })
                .collect(),
        });
    }
    Ok(Json(SqlTables {
        entries: total,
        tables,
    }))
}

/// A read-only SQL query.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SqlQuery)]
struct Query {
    /// One SELECT; each dataset is the table `e_<entry id without 'e-'>` (its current version)
    /// or `e_<id>_vN` (version N).
    sql: String,
    /// Rows returned at most (default 1,000; the server's limit caps it).
    #[serde(default)]
    #[schema(minimum = 0)]
    limit: Option<usize>,
}

/// A query's answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct SqlAnswer {
    /// Column names.
    columns: Vec<String>,
    /// Column types: `integer`, `decimal`, `text`, `date`, `timestamp`, `boolean`, or another
    /// type's name.
    types: Vec<String>,
    /// Rows: numbers and booleans as JSON numbers and booleans, null as null, anything else
    /// (dates, text) as its text.
    rows: Vec<Vec<serde_json::Value>>,
    /// Whether more rows existed than were returned.
    truncated: bool,
}

impl From<QueryResult> for SqlAnswer {
    fn from(r: QueryResult) -> Self {
        SqlAnswer {
            columns: r.columns,
            types: r.types,
            rows: r.rows,
            truncated: r.truncated,
        }
    }
}

/// The schema a dataset part was written with (two ranged reads of its footer); a part that
/// cannot be read is named, its cause kept for the server's log.
async fn part_schema(s: &AppState, part: &str) -> Result<arrow_schema::SchemaRef, ApiError> {
    s.datasets.part_schema(part).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot read a part's schema");
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "query",
            format!("dataset part {part} cannot be read"),
        )
    })
}

/// The dataset version a table name stands for, if any: `e_…` is the entry's current version,
/// `e_…_vN` its version N. Returns the table and the version read.
async fn dataset_table(s: &AppState, name: &str) -> Result<Option<(DatasetTable, i64)>, ApiError> {
    let Some(v) = pubdata_release::names::resolve(&s.store, name).await? else {
        return Ok(None);
    };
    let parts: Vec<_> = v
        .parts
        .iter()
        .map(|p| DatasetStorage::path(p))
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)?;
    // The version reads with the schema it was written with, from its own part: the entry's
    // data items may have been edited since (renamed or retyped items apply to new versions).
    // Two ranged reads of the first part's footer, never a copy of the part.
    let first = v.parts.first().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "query",
            format!("{name} has no parts"),
        )
    })?;
    let schema = part_schema(s, first).await?;
    let table = DatasetTable {
        name: name.to_string(),
        schema,
        objects: s.datasets.objects(),
        parts,
        scratch: s.datasets.scratch().to_path_buf(),
    };
    Ok(Some((table, v.version)))
}

/// Read-only SQL over the dataset versions; every query is audited.
///
/// Who may call it: an authority administrator.
#[utoipa::path(post, path = "/api/v1/sql", tag = "data", request_body = Query,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The rows.", body = SqlAnswer),
        (status = 503, description = "Too many queries are running, or the query was cancelled.", body = ErrorBody),
    ))]
async fn run(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<Query>, JsonRejection>,
) -> Result<Json<SqlAnswer>, ApiError> {
    caller.check_csrf_header(&headers)?;
    let q = body
        .map(|Json(q)| q)
        .map_err(|r| ApiError::new(r.status(), "bad_request", r.body_text()))?;
    caller.may(&s, &Action::QueryData, "datasets").await?;
    let limits = QueryLimits {
        rows: q.limit.unwrap_or(1000).clamp(1, s.sql.max_rows),
        bytes: s.sql.max_bytes,
        memory: s.sql.memory,
    };
    let mut tables = Vec::new();
    let mut read = Vec::new();
    let prepared = prepare(&s, &q.sql, &mut tables, &mut read).await;
    // The auditor sees the statement as parsed (comments cannot hide it), the hash of the text
    // as sent, and which versions it read.
    let detail = audit_text(&q.sql, &read);
    let actor = caller.actor().to_string();
    // Refused before it ran (it does not parse, a version cannot be read): audited here.
    if let Err(e) = prepared {
        audit_outcome(&s, &actor, &detail, &Ran::Failed(e.message.clone())).await?;
        return Err(e);
    }
    // A few queries at a time: each may hold its memory limit.
    let Ok(_turn) = s.sql.running.clone().try_acquire_owned() else {
        audit_outcome(&s, &actor, &detail, &Ran::Busy).await?;
        return answer(&s, Ran::Busy);
    };
    answer(
        &s,
        run_bounded(&s, tables, q.sql, limits, actor, detail).await,
    )
}

/// Looks up the dataset versions `sql` names into `tables`, and what it reads into `read`. Only
/// the tables a query names are looked up: a province has millions of entries.
async fn prepare(
    s: &AppState,
    sql: &str,
    tables: &mut Vec<DatasetTable>,
    read: &mut Vec<String>,
) -> Result<(), ApiError> {
    let refs = referenced_tables(sql)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "query", e.to_string()))?;
    let mut names = refs.tables;
    if refs.information_schema {
        names.extend(readable_tables(s).await?);
        names.sort();
        names.dedup();
    }
    let mut unknown = Vec::new();
    for name in &names {
        match dataset_table(s, name).await? {
            Some((table, version)) => {
                read.push(format!("{name}=v{version}"));
                tables.push(table);
            }
            None => unknown.push(name.as_str()),
        }
    }
    // Said in the platform's words, not DataFusion's ("table 'datafusion.public.e_x' not
    // found"), with how datasets are named.
    if !unknown.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "query",
            format!(
                "no dataset named {}: a dataset is the table e_<entry id without 'e-'> (its current \
                 version) or e_<id>_vN (version N) of an entry that has data",
                unknown.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The most tables `information_schema` lists; past it, `GET /api/v1/sql/tables` pages.
const CATALOG_TABLES: usize = 1000;

/// The current-version table of every entry with data, for `information_schema`.
async fn readable_tables(s: &AppState) -> Result<Vec<String>, ApiError> {
    const PAGE: u32 = 500;
    let mut names = Vec::new();
    let mut offset = 0u32;
    loop {
        let (entries, total) = s
            .store
            .entries(&pubdata_platform::store::EntryQuery {
                limit: Some(PAGE),
                offset: Some(offset),
                ..Default::default()
            })
            .await?;
        for e in &entries {
            if s.store.versions(&e.id).await?.is_empty() {
                continue;
            }
            if names.len() == CATALOG_TABLES {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "query",
                    format!(
                        "information_schema lists at most {CATALOG_TABLES} tables and there are \
                         more: page through GET /api/v1/sql/tables instead"
                    ),
                ));
            }
            names.push(pubdata_release::names::table_name(&e.id));
        }
        offset += PAGE;
        if entries.is_empty() || i64::from(offset) >= total {
            return Ok(names);
        }
    }
}

/// How a query ended.
enum Ran {
    Done(QueryResult),
    Failed(String),
    TimedOut,
    Cancelled,
    Busy,
}

/// Runs the query on the SQL runtime within the time limit. The run and its audit entry happen
/// in a task of their own: if the caller goes away, the query is stopped and still audited.
async fn run_bounded(
    s: &AppState,
    tables: Vec<DatasetTable>,
    sql: String,
    limits: QueryLimits,
    actor: String,
    detail: String,
) -> Ran {
    let state = s.clone();
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let (tx, rx) = tokio::sync::oneshot::channel::<Ran>();
    let runtime = s.sql.runtime.clone();
    let time_limit = s.sql.time_limit;
    tokio::spawn(async move {
        let query = runtime
            .handle()
            .spawn(async move { query_datasets(&tables, &sql, &limits).await });
        let abort = query.abort_handle();
        let ran = tokio::select! {
            r = tokio::time::timeout(time_limit, query) => match r {
                Ok(Ok(Ok(result))) => Ran::Done(result),
                Ok(Ok(Err(e))) => Ran::Failed(e.to_string()),
                // A panic inside the plan: an error to answer, never a closed connection.
                Ok(Err(_)) => Ran::Failed("the query failed inside the engine".into()),
                Err(_) => {
                    abort.abort();
                    Ran::TimedOut
                }
            },
            _ = cancelled => {
                abort.abort();
                Ran::Cancelled
            }
        };
        // A failing audit log must not hide the outcome from the caller; it is in the server's
        // log then.
        if let Err(e) = audit_outcome(&state, &actor, &detail, &ran).await {
            tracing::error!(error = ?e, "cannot audit a query");
        }
        let _ = tx.send(ran);
    });
    // Dropped with this future when the client disconnects: the task above then stops the query.
    let _cancel_on_drop = cancel;
    rx.await.unwrap_or(Ran::Cancelled)
}

/// Audits how a query ended (every way it can end).
async fn audit_outcome(s: &AppState, actor: &str, detail: &str, ran: &Ran) -> Result<(), ApiError> {
    let (outcome, note) = match ran {
        Ran::Done(_) => (Outcome::Success, String::new()),
        Ran::Failed(_) => (Outcome::Failed, " [failed]".to_string()),
        Ran::TimedOut => (
            Outcome::Failed,
            format!(
                " [stopped at the time limit of {} s]",
                s.sql.time_limit.as_secs()
            ),
        ),
        Ran::Cancelled => (
            Outcome::Failed,
            " [cancelled: the caller went away]".to_string(),
        ),
        Ran::Busy => (
            Outcome::Failed,
            " [refused: too many queries running]".to_string(),
        ),
    };
    s.store
        .audit(
            actor,
            "dataset.query",
            "datasets",
            outcome,
            &format!("{detail}{note}"),
        )
        .await?;
    Ok(())
}

/// The answer for how a query ended.
fn answer(s: &AppState, ran: Ran) -> Result<Json<SqlAnswer>, ApiError> {
    match ran {
        Ran::Done(r) => Ok(Json(r.into())),
        Ran::Failed(message) => {
            tracing::warn!(%message, "query failed");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "query",
                message,
            ))
        }
        Ran::TimedOut => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_limit",
            format!(
                "the query ran past its time limit of {} s and was stopped",
                s.sql.time_limit.as_secs()
            ),
        )),
        Ran::Cancelled => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "cancelled",
            "the query was cancelled",
        )),
        Ran::Busy => Err(ApiError {
            retry_after: Some(5),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "as many queries as the server runs at once are running; try again shortly",
            )
        }),
    }
}

/// The statement as parsed (at most 1,500 characters), the SHA-256 and length of the text as
/// sent, and the versions read.
fn audit_text(sql: &str, read: &[String]) -> String {
    let parsed = normalized_sql(sql).unwrap_or_else(|_| sql.to_string());
    let mut shown: String = parsed.chars().take(1500).collect();
    if shown.len() < parsed.len() {
        shown.push_str(" …");
    }
    let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(sql.as_bytes()));
    format!(
        "[read: {}] {shown} [text sha256 {digest}, {} chars]",
        read.join(", "),
        sql.chars().count()
    )
}
