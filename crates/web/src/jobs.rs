//! Release policies and jobs over the API: store a policy, submit a de-identification or
//! anonymization job on a dataset version, follow it, cancel it, download its output. The work
//! runs on `pubdata_release::jobs::Workers`; these handlers only authorize, check and record.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::ObjectStoreExt;
use pubdata_platform::access::Action;
use pubdata_platform::store::{Job, JobKind, NewJob, StoredPolicy};
use pubdata_release::{PolicySource, ReleaseError};
use serde::Deserialize;

use crate::AppState;
use crate::api::json;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(list_jobs, submit))
        .routes(routes!(get_job))
        .routes(routes!(cancel))
        .routes(routes!(output))
}

/// A new stored policy.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPolicy {
    /// A name for people.
    name: String,
    /// What it is a policy for.
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

/// Store a release policy (checked first: it parses, names no file, and its key is there).
///
/// Who may call it: an authority administrator; a department officer for its organization.
#[utoipa::path(post, path = "/api/v1/policies", tag = "releases", request_body = NewPolicy,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Stored.", body = StoredPolicy),
        (status = 409, description = "A policy has that name already.", body = ErrorBody),
    ))]
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

/// Stored release policies (de-identification or anonymization), which jobs name.
///
/// Who may call it: an authority administrator, a department officer, an auditor.
#[utoipa::path(get, path = "/api/v1/policies", tag = "releases",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Every stored policy.", body = Vec<StoredPolicy>)))]
async fn list_policies(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<StoredPolicy>>, ApiError> {
    caller.may(&s, &Action::ReadPolicies, "policies").await?;
    Ok(Json(s.store.policies().await?))
}

/// A job to submit: a kind, an entry's version (default: the current one) and a stored policy.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SubmitJob)]
pub(crate) struct Submit {
    /// What to do.
    kind: JobKind,
    /// The catalog entry whose data it releases.
    entry: String,
    /// The version (default: the current one).
    #[serde(default)]
    version: Option<i64>,
    /// A stored policy's id, of the same kind.
    policy: String,
}

/// Queue a de-identification or anonymization job over a dataset version with a stored policy.
///
/// Who may call it: an authority administrator; a department officer of the owner.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "releases", request_body = Submit,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 202, description = "Queued.", body = Job),
        (status = 404, description = "No such entry or policy.", body = ErrorBody),
    ))]
async fn submit(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<Submit>, JsonRejection>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let b = json(body)?;
    if b.kind == JobKind::Publish {
        // Publishing has its own door, which refuses what it can before queuing.
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "kind: publish a release with POST /api/v1/catalog/{}/releases",
                b.entry
            ),
        ));
    }
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
    let version = version_to_release(&s, &b.entry, b.version).await?;
    let policy = s.store.policy(&b.policy).await?;
    policy.fits(b.kind)?;
    policy.belongs_to(&owner)?;
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

/// The version of entry `id` a job or a release reads (`None`: the current one), or a 422 that
/// says which is missing.
pub(crate) async fn version_to_release(
    s: &AppState,
    id: &str,
    version: Option<i64>,
) -> Result<pubdata_platform::store::VersionInfo, ApiError> {
    pubdata_release::names::resolve_version(&s.store, id, version)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                match version {
                    Some(n) => format!("version: entry {id} has no version {n}"),
                    None => format!("entry: {id} has no data yet; upload a version first"),
                },
            )
        })
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

/// A job: its state, progress, error or report.
///
/// Who may call it: whoever may read the owner's data.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "releases",
    params(("id" = String, Path, description = "The job's id.")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The job.", body = Job)))]
async fn get_job(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(readable_job(&s, &caller, &id).await?))
}

/// How many jobs to list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct JobsQuery {
    /// Jobs at most (default 100).
    limit: Option<i64>,
}

/// Release jobs, newest first; an officer sees its organization's.
///
/// Who may call it: an authority administrator, an auditor; a department officer.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "releases", params(JobsQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The jobs.", body = Vec<Job>)))]
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

/// Cancel a job: a queued one at once, a running one at its next batch.
///
/// Who may call it: an authority administrator; a department officer of the owner.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "releases",
    params(("id" = String, Path, description = "The job's id.")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The job, cancelled or to be.", body = Job),
        (status = 409, description = "The job has ended.", body = ErrorBody),
    ))]
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

/// The release a succeeded job wrote, as the Parquet file it is.
///
/// Who may call it: whoever may read the owner's data; every download is audited.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/output", tag = "releases",
    params(("id" = String, Path, description = "The job's id.")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The release.", body = Vec<u8>, content_type = "application/vnd.apache.parquet"),
        (status = 409, description = "The job has no output (yet).", body = ErrorBody),
    ))]
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
