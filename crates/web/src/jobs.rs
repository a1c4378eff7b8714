//! Release policies and jobs over the API: store a policy, submit a de-identification or
//! anonymization job on a dataset version, follow it, cancel it, download its output. The work
//! runs on `pubdata_release::jobs::Workers`; these handlers only authorize, check and record.

use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use object_store::ObjectStoreExt;
use pubdata_platform::access::Action;
use pubdata_platform::store::{Job, JobKind, NewJob, StoredPolicy};
use pubdata_release::{PolicySource, ReleaseError};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/policies", get(list_policies).post(create_policy))
        .route("/api/v1/jobs", get(list_jobs).post(submit))
        .route("/api/v1/jobs/{id}", get(get_job))
        .route("/api/v1/jobs/{id}/cancel", post(cancel))
        .route("/api/v1/jobs/{id}/output", get(output))
}

fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|r| ApiError::new(r.status(), "bad_request", r.body_text()))
}

/// A new stored policy.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPolicy {
    name: String,
    kind: JobKind,
    /// The TOML text.
    text: String,
    /// The organization it belongs to (default: the caller's).
    #[serde(default)]
    owner: Option<String>,
}

/// Largest policy text accepted.
const MAX_POLICY: usize = 64 << 10;

fn invalid(e: ReleaseError) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
}

async fn create_policy(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<NewPolicy>, JsonRejection>,
) -> Result<(StatusCode, Json<StoredPolicy>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let p = json(body)?;
    let owner = p
        .owner
        .clone()
        .or_else(|| caller.principal.as_ref()?.organization.clone())
        // Decided first, so that whoever may not store policies hears that, not a field error.
        .unwrap_or_default();
    caller
        .may(
            &s,
            &Action::ManagePolicies {
                owner: owner.clone(),
            },
            &format!("organization:{owner}"),
        )
        .await?;
    if owner.is_empty() {
        return Err(ApiError::bad_request(
            "owner: name the organization the policy is for",
        ));
    }
    if p.text.len() > MAX_POLICY {
        return Err(ApiError::bad_request(format!(
            "text: a policy is at most {MAX_POLICY} bytes"
        )));
    }
    let source = PolicySource {
        label: format!("policy {:?}", p.name),
        text: p.text.clone(),
        base: None,
    };
    pubdata_release::check_stored_policy(p.kind, &source).map_err(invalid)?;
    let stored = s
        .store
        .create_policy(caller.actor(), &p.name, p.kind, &p.text, &owner)
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn list_policies(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<StoredPolicy>>, ApiError> {
    caller.may(&s, &Action::ReadPolicies, "policies").await?;
    Ok(Json(s.store.policies().await?))
}

/// A job to submit: a kind, an entry's version (default: the current one) and a stored policy.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Submit {
    kind: JobKind,
    entry: String,
    #[serde(default)]
    version: Option<i64>,
    policy: String,
}

async fn submit(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<Submit>, JsonRejection>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let b = json(body)?;
    let entry = s.store.entry(&b.entry).await?;
    let owner = entry.entry.owner.clone();
    caller
        .may(
            &s,
            &Action::ReleaseData {
                owner: owner.clone(),
            },
            &format!("entry:{}", b.entry),
        )
        .await?;
    let version = pubdata_release::names::resolve_version(&s.store, &b.entry, b.version).await?;
    let Some(version) = version else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            match b.version {
                Some(n) => format!("version: entry {} has no version {n}", b.entry),
                None => format!("entry: {} has no data yet; upload a version first", b.entry),
            },
        ));
    };
    let policy = s.store.policy(&b.policy).await?;
    policy.fits(b.kind)?;
    let job = s
        .store
        .submit_job(
            caller.actor(),
            &NewJob {
                kind: b.kind,
                entry_id: b.entry.clone(),
                version: version.version,
                policy_id: policy.id,
                owner,
            },
        )
        .await?;
    if let Some(w) = &s.workers {
        w.wake();
    }
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// A job the caller may read (the same right as reading the entry's data), or the refusal.
async fn readable_job(s: &AppState, caller: &Caller, id: &str) -> Result<Job, ApiError> {
    let job = s.store.job(id).await?;
    caller
        .may(
            s,
            &Action::ReadData {
                owner: job.owner.clone(),
            },
            &format!("job:{id}"),
        )
        .await?;
    Ok(job)
}

async fn get_job(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(readable_job(&s, &caller, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobsQuery {
    limit: Option<i64>,
}

async fn list_jobs(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<JobsQuery>, QueryRejection>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let q = q
        .map(|Query(q)| q)
        .map_err(|r| ApiError::bad_request(r.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    // Whoever may read every organization's data sees every job; an officer sees its own.
    let everything = caller.permits(&Action::ReadData {
        owner: String::new(),
    }) || caller.permits(&Action::ReadAudit);
    if everything {
        return Ok(Json(s.store.jobs(None, limit).await?));
    }
    let org = caller
        .principal
        .as_ref()
        .and_then(|p| p.organization.clone())
        .unwrap_or_default();
    caller
        .may(&s, &Action::ReadData { owner: org.clone() }, "jobs")
        .await?;
    Ok(Json(s.store.jobs(Some(&org), limit).await?))
}

async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    caller.check_csrf_header(&headers)?;
    let job = s.store.job(&id).await?;
    caller
        .may(
            &s,
            &Action::ReleaseData {
                owner: job.owner.clone(),
            },
            &format!("job:{id}"),
        )
        .await?;
    Ok(Json(s.store.cancel_job(caller.actor(), &id).await?))
}

/// The output of a succeeded job, as the Parquet file it is.
async fn output(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = readable_job(&s, &caller, &id).await?;
    let Some(key) = job.output else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_ready",
            format!("job {id} is {} and has no output", job.state.as_str()),
        ));
    };
    let path = pubdata_platform::storage::DatasetStorage::path(&key).map_err(ApiError::internal)?;
    let got = s
        .datasets
        .objects()
        .get(&path)
        .await
        .map_err(ApiError::internal)?;
    s.store
        .audit(
            caller.actor(),
            "release.download",
            &format!("job:{id}"),
            pubdata_platform::audit::Outcome::Success,
            &key,
        )
        .await?;
    let body = Body::from_stream(got.into_stream());
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.apache.parquet"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"release.parquet\"",
            ),
        ],
        body,
    )
        .into_response())
}
