//! The JSON API under `/api/v1`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use pubdata_platform::access::Action;
use pubdata_platform::audit::{AuditEntry, Outcome};
use pubdata_platform::catalog::CatalogEntry;
use pubdata_platform::store::{
    AuditFilter, CredentialKind, EntryQuery, NewUser, Organization, Stats, StoredEntry, User,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// How long an API token lives.
const TOKEN_DAYS: i64 = 30;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi))
        .routes(routes!(stats))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(me))
        .routes(routes!(list_entries, create_entry))
        .routes(routes!(get_entry, update_entry))
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(list_users, create_user))
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
}

/// A JSON body, or the refusal in our error shape.
pub(crate) fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|r| ApiError::new(r.status(), "bad_request", r.body_text()))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(b)| b)
        .map_err(|r| ApiError::bad_request(r.body_text()))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "platform",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = Object)))]
async fn openapi() -> Json<&'static serde_json::Value> {
    Json(crate::openapi::document())
}

/// Headline statistics, computed live.
///
/// Who may call it: anyone.
#[utoipa::path(get, path = "/api/v1/stats", tag = "platform",
    responses((status = 200, description = "The figures the regulation asks to publish.", body = Stats)))]
async fn stats(State(s): State<AppState>, caller: Caller) -> Result<Json<Stats>, ApiError> {
    caller.may(&s, &Action::ViewStats, "stats").await?;
    Ok(Json(s.store.stats().await?))
}

/// A user name and password.
#[derive(Deserialize, ToSchema)]
struct SignIn {
    username: String,
    password: String,
}

/// A new API token and whom it belongs to.
#[derive(Serialize, ToSchema)]
struct Issued {
    /// Send it as `Authorization: Bearer <token>`.
    token: String,
    /// When it stops working (RFC 3339).
    expires_at: String,
    user: User,
}

/// Sign in with a password and receive an API token (30 days).
///
/// Who may call it: anyone. Repeated failures hold the account and the address for a while.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", request_body = SignIn,
    responses(
        (status = 201, description = "Signed in.", body = Issued),
        (status = 503, description = "Too many sign-ins are being checked; see Retry-After.", body = ErrorBody),
    ))]
async fn create_token(
    State(s): State<AppState>,
    client: crate::auth::ClientAddr,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<(StatusCode, Json<Issued>), ApiError> {
    let b = json(body)?;
    let (user, cred) = s
        .store
        .sign_in(
            &b.username,
            &b.password,
            &client.0,
            CredentialKind::Api,
            chrono::Duration::days(TOKEN_DAYS),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Issued {
            token: cred.token,
            expires_at: cred.expires_at,
            user,
        }),
    ))
}

/// Revoke the token (or session) of this request.
///
/// Who may call it: whoever is signed in.
#[utoipa::path(delete, path = "/api/v1/tokens/current", tag = "access",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "Revoked.")))]
async fn revoke_token(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let Some(token) = &caller.token else {
        return Err(ApiError::from(
            pubdata_platform::access::Denied::NotSignedIn,
        ));
    };
    caller.check_csrf_header(&headers)?;
    s.store.revoke(token).await?;
    s.store
        .audit(
            caller.actor(),
            "credential.revoke",
            "credential:current",
            Outcome::Success,
            "",
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
struct Me {
    username: String,
    role: String,
    organization: Option<String>,
}

/// Who the token belongs to.
///
/// Who may call it: whoever is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "access",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The user.", body = Me)))]
async fn me(caller: Caller) -> Result<Json<Me>, ApiError> {
    let p = caller
        .principal
        .ok_or(pubdata_platform::access::Denied::NotSignedIn)?;
    Ok(Json(Me {
        username: p.user,
        role: p.role.name().to_string(),
        organization: p.organization,
    }))
}

/// A search of the catalog.
#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Words that must all appear.
    q: Option<String>,
    /// An organization's code.
    owner: Option<String>,
    /// Entries per page.
    limit: Option<u32>,
    /// Entries to skip.
    offset: Option<u32>,
}

/// One page of a catalog search.
#[derive(Serialize, ToSchema)]
struct EntryList {
    /// How many entries match in all.
    total: i64,
    entries: Vec<StoredEntry>,
}

/// List and search catalog entries.
///
/// Who may call it: anyone.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", params(ListQuery),
    responses((status = 200, description = "The entries that match.", body = EntryList)))]
async fn list_entries(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<EntryList>, ApiError> {
    let q = query(q)?;
    caller.may(&s, &Action::ViewCatalog, "catalog").await?;
    let (entries, total) = s
        .store
        .entries(&EntryQuery {
            text: q.q,
            owner: q.owner,
            limit: q.limit,
            offset: q.offset,
        })
        .await?;
    Ok(Json(EntryList { total, entries }))
}

/// One catalog entry.
///
/// Who may call it: anyone.
#[utoipa::path(get, path = "/api/v1/catalog/{id}", tag = "catalog",
    params(("id" = String, Path, description = "The entry's id.")),
    responses((status = 200, description = "The entry.", body = StoredEntry)))]
async fn get_entry(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<StoredEntry>, ApiError> {
    caller
        .may(&s, &Action::ViewCatalog, &format!("entry:{id}"))
        .await?;
    Ok(Json(s.store.entry(&id).await?))
}

/// Create a catalog entry; the catalog rules are checked.
///
/// Who may call it: an authority administrator; a department officer for its organization.
#[utoipa::path(post, path = "/api/v1/catalog", tag = "catalog", request_body = CatalogEntry,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, description = "Created.", body = StoredEntry)))]
async fn create_entry(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<CatalogEntry>, JsonRejection>,
) -> Result<(StatusCode, Json<StoredEntry>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let entry = json(body)?;
    let action = Action::CreateEntry {
        owner: entry.owner.clone(),
    };
    caller
        .may(&s, &action, &format!("organization:{}", entry.owner))
        .await?;
    let stored = s.store.create_entry(&entry, caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// A replacement entry and the revision it was made from.
#[derive(Deserialize, ToSchema)]
#[schema(as = EntryUpdate)]
struct Update {
    /// The revision the edit started from: a newer one is a conflict.
    revision: i64,
    entry: CatalogEntry,
}

/// Replace an entry, naming the revision it was made from.
///
/// Who may call it: an authority administrator; a department officer of the owner.
#[utoipa::path(put, path = "/api/v1/catalog/{id}", tag = "catalog", request_body = Update,
    params(("id" = String, Path, description = "The entry's id.")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The entry as stored.", body = StoredEntry),
        (status = 409, description = "The entry changed since that revision.", body = ErrorBody),
    ))]
async fn update_entry(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Update>, JsonRejection>,
) -> Result<Json<StoredEntry>, ApiError> {
    caller.check_csrf_header(&headers)?;
    let u = json(body)?;
    // Authorize against the stored owner: the body could name another organization.
    let current = s.store.entry(&id).await?;
    let action = Action::EditEntry {
        owner: current.entry.owner.clone(),
    };
    caller.may(&s, &action, &format!("entry:{id}")).await?;
    Ok(Json(
        s.store
            .update_entry(&id, u.revision, &u.entry, caller.actor())
            .await?,
    ))
}

/// Organizations that hold or govern public data.
///
/// Who may call it: anyone.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "access",
    responses((status = 200, description = "Every organization.", body = Vec<Organization>)))]
async fn list_organizations(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Organization>>, ApiError> {
    // Who holds public data is part of the published catalog.
    caller
        .may(&s, &Action::ViewCatalog, "organizations")
        .await?;
    Ok(Json(s.store.organizations().await?))
}

/// Create an organization.
///
/// Who may call it: an authority administrator.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "access", request_body = Organization,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Created.", body = Organization),
        (status = 409, description = "The code is taken.", body = ErrorBody),
    ))]
async fn create_organization(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<Organization>, JsonRejection>,
) -> Result<(StatusCode, Json<Organization>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let org = json(body)?;
    caller
        .may(
            &s,
            &Action::ManageOrganizations,
            &format!("organization:{}", org.code),
        )
        .await?;
    s.store.create_organization(&org, caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Users and their roles.
///
/// Who may call it: an authority administrator.
#[utoipa::path(get, path = "/api/v1/users", tag = "access",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Every user.", body = Vec<User>)))]
async fn list_users(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<User>>, ApiError> {
    caller.may(&s, &Action::ManageUsers, "users").await?;
    Ok(Json(s.store.users().await?))
}

/// Create a user.
///
/// Who may call it: an authority administrator.
#[utoipa::path(post, path = "/api/v1/users", tag = "access", request_body = NewUser,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Created.", body = User),
        (status = 409, description = "The user name is taken.", body = ErrorBody),
    ))]
async fn create_user(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.check_csrf_header(&headers)?;
    let user = json(body)?;
    caller
        .may(&s, &Action::ManageUsers, &format!("user:{}", user.username))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_user(&user, caller.actor()).await?),
    ))
}

/// A filter of the audit log.
#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Who acted (`user:<name>`).
    actor: Option<String>,
    /// The action, such as `entry.create`.
    action: Option<String>,
    /// What it acted on, such as `entry:<id>`.
    target: Option<String>,
    /// How it ended.
    outcome: Option<Outcome>,
    /// Only entries after this sequence number.
    after: Option<u64>,
    /// Entries at most.
    limit: Option<u32>,
}

/// Audit log entries, oldest first.
///
/// Who may call it: an authority administrator, an auditor.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The entries that match.", body = Vec<AuditEntry>)))]
async fn list_audit(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let q = query(q)?;
    caller.may(&s, &Action::ReadAudit, "audit").await?;
    let entries = s
        .store
        .audit_entries(&AuditFilter {
            actor: q.actor,
            action: q.action,
            target: q.target,
            outcome: q.outcome,
            after: q.after,
            limit: q.limit,
        })
        .await?;
    Ok(Json(entries))
}

/// What a check of the audit chain found.
#[derive(Serialize, ToSchema)]
struct Verified {
    /// Whether every entry links to the one before.
    intact: bool,
    /// Entries checked (up to the break).
    entries: u64,
    /// The first entry that does not link.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_broken: Option<u64>,
    /// Why it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Check the audit log's hash chain; names the first broken entry.
///
/// Who may call it: an authority administrator, an auditor.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The result.", body = Verified)))]
async fn verify_audit(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Verified>, ApiError> {
    caller.may(&s, &Action::ReadAudit, "audit").await?;
    Ok(Json(match s.store.verify_audit().await {
        Ok(n) => Verified {
            intact: true,
            entries: n,
            first_broken: None,
            reason: None,
        },
        Err(pubdata_platform::store::StoreError::Chain(b)) => Verified {
            intact: false,
            entries: b.seq.saturating_sub(1),
            first_broken: Some(b.seq),
            reason: Some(b.reason.to_string()),
        },
        Err(e) => return Err(e.into()),
    }))
}
