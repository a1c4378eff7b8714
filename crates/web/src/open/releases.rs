//! Publishing over the API: a holder's officer (or the authority) publishes a release of an
//! entry's version as a job, lists an entry's releases, and withdraws one with a reason. The
//! opening rules are the platform's: the job checks them before writing a row, and the store
//! again when recording.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pubdata_platform::access::Action;
use pubdata_platform::store::{Job, JobKind, NewJob, Release};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::json;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, publish))
        .routes(routes!(withdraw))
}

/// What to publish.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Publish {
    /// The version (default: the current one).
    #[serde(default)]
    version: Option<i64>,
    /// A stored de-identification policy's id. Without one, the version is published as the
    /// catalog describes it (every open item kept), which the opening rules refuse where a
    /// column identifies people.
    #[serde(default)]
    policy: Option<String>,
}

/// Publish a release of an entry's version: a job scans the values, applies the policy, checks
/// the opening rules and records the release (follow it at `/api/v1/jobs/{id}`).
///
/// Who may call it: an authority administrator; a department officer of the holder.
#[utoipa::path(post, path = "/api/v1/catalog/{id}/releases", tag = "opening",
    params(("id" = String, Path, description = "The catalog entry.")),
    request_body = Publish,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 202, description = "Queued.", body = Job),
        (status = 404, description = "No such entry or policy.", body = ErrorBody),
        (status = 422, description = "The entry is not to be opened, or has no such version.", body = ErrorBody),
    ))]
async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Publish>, JsonRejection>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let b = json(body)?;
    let job = submit(&s, &caller, &id, b.version, b.policy.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Queues a publish job for entry `id`: the one way every door (API, page) publishes. The caller
/// must be the holder's officer or the authority; a prohibited entry or a missing version is
/// refused at once, the rest by the job.
pub(crate) async fn submit(
    s: &AppState,
    caller: &Caller,
    id: &str,
    version: Option<i64>,
    policy: Option<&str>,
) -> Result<Job, ApiError> {
    let entry = s.store.entry(id).await?;
    let owner = entry.entry.owner.clone();
    caller
        .may(
            s,
            &Action::ReleaseData {
                owner: owner.clone(),
            },
            &format!("entry:{id}"),
        )
        .await?;
    use pubdata_platform::catalog::OpenAttribute;
    use pubdata_platform::opening::Refusal;
    // What needs no scan to know is refused before anything is queued.
    let refused = match (entry.entry.open, policy) {
        (OpenAttribute::Prohibited, _) => Some(Refusal::Prohibited),
        (OpenAttribute::Restricted, None) => Some(Refusal::NeedsDeidentification),
        _ => None,
    };
    if let Some(r) = refused {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "opening_rules",
            r.to_string(),
        ));
    }
    let version = crate::jobs::version_to_release(s, id, version).await?;
    let policy = match policy {
        Some(p) => {
            let p = s.store.policy(p).await?;
            p.fits(JobKind::Publish)?;
            p.belongs_to(&owner)?;
            p
        }
        None => {
            pubdata_release::publish::catalogued_policy(
                &s.store,
                &entry.id,
                &entry.entry,
                caller.actor(),
            )
            .await?
        }
    };
    let job = s
        .store
        .submit_job(
            caller.actor(),
            &NewJob {
                kind: JobKind::Publish,
                entry_id: id.to_string(),
                version: version.version,
                policy_id: policy.id,
                owner,
            },
        )
        .await?;
    if let Some(w) = &s.workers {
        w.wake();
    }
    Ok(job)
}

/// Withdraws release `rid` of entry `id` for `caller`, who must be the holder's officer or the
/// authority.
pub(crate) async fn withdraw_for(
    s: &AppState,
    caller: &Caller,
    rid: &str,
    reason: &str,
) -> Result<Release, ApiError> {
    let release = s.store.release(rid).await?;
    let entry = s.store.entry(&release.entry_id).await?;
    caller
        .may(
            s,
            &Action::ReleaseData {
                owner: entry.entry.owner,
            },
            &format!("release:{rid}"),
        )
        .await?;
    Ok(s.store
        .withdraw_release(rid, reason, caller.actor())
        .await?)
}

/// An entry's releases, newest first, withdrawn ones included with who withdrew them and why.
///
/// Who may call it: anyone (a release's record is public; its rows are served by the portal
/// only where they may be). Who published or withdrew it is named to those who may read the
/// holder's data; to others it is the holder.
#[utoipa::path(get, path = "/api/v1/catalog/{id}/releases", tag = "opening",
    params(("id" = String, Path, description = "The catalog entry.")),
    responses((status = 200, description = "The releases.", body = Vec<Release>)))]
async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Release>>, ApiError> {
    caller.may(&s, &Action::ViewCatalog, "catalog").await?;
    let entry = s.store.entry(&id).await?;
    let mut list = s.store.releases(&id).await?;
    // Who published or withdrew is the holder's organization to the public, a person's name
    // only to those who may read its data.
    if !caller.permits(&Action::ReadData {
        owner: entry.entry.owner.clone(),
    }) {
        for r in &mut list {
            r.published_by = entry.entry.owner.clone();
            if let Some(w) = &mut r.withdrawn {
                w.by = entry.entry.owner.clone();
            }
        }
    }
    Ok(Json(list))
}

/// Why a release is withdrawn.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Withdraw {
    /// The reason, kept in the record.
    reason: String,
}

/// Withdraw a release: it is no longer served, and stays in the record with the reason.
///
/// Who may call it: an authority administrator; a department officer of the holder.
#[utoipa::path(post, path = "/api/v1/releases/{id}/withdraw", tag = "opening",
    params(("id" = String, Path, description = "The release.")),
    request_body = Withdraw,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Withdrawn.", body = Release),
        (status = 409, description = "Withdrawn before.", body = ErrorBody),
    ))]
async fn withdraw(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Withdraw>, JsonRejection>,
) -> Result<Json<Release>, ApiError> {
    caller.check_csrf_header(&headers)?;
    let b = json(body)?;
    Ok(Json(withdraw_for(&s, &caller, &id, &b.reason).await?))
}
