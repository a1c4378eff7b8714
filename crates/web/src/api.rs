//! The JSON API under `/api/v1`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use pubdata_platform::access::Action;
use pubdata_platform::audit::{AuditEntry, Outcome};
use pubdata_platform::catalog::CatalogEntry;
use pubdata_platform::store::{
    AuditFilter, CredentialKind, EntryQuery, NewUser, Organization, Stats, StoredEntry, User,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// How long an API token lives.
const TOKEN_DAYS: i64 = 30;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/tokens", post(create_token))
        .route(
            "/api/v1/tokens/current",
            axum::routing::delete(revoke_token),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/catalog", get(list_entries).post(create_entry))
        .route("/api/v1/catalog/{id}", get(get_entry).put(update_entry))
        .route(
            "/api/v1/organizations",
            get(list_organizations).post(create_organization),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/audit", get(list_audit))
        .route("/api/v1/audit/verify", get(verify_audit))
}

fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|r| ApiError::new(r.status(), "bad_request", r.body_text()))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(b)| b)
        .map_err(|r| ApiError::bad_request(r.body_text()))
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

async fn stats(State(s): State<AppState>, caller: Caller) -> Result<Json<Stats>, ApiError> {
    caller.may(&s, &Action::ViewStats, "stats").await?;
    Ok(Json(s.store.stats().await?))
}

#[derive(Deserialize)]
struct SignIn {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct Issued {
    token: String,
    expires_at: String,
    user: User,
}

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

#[derive(Serialize)]
struct Me {
    username: String,
    role: String,
    organization: Option<String>,
}

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    owner: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(Serialize)]
struct EntryList {
    total: i64,
    entries: Vec<StoredEntry>,
}

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

#[derive(Deserialize)]
struct Update {
    revision: i64,
    entry: CatalogEntry,
}

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

async fn list_users(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<User>>, ApiError> {
    caller.may(&s, &Action::ManageUsers, "users").await?;
    Ok(Json(s.store.users().await?))
}

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    outcome: Option<Outcome>,
    after: Option<u64>,
    limit: Option<u32>,
}

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

#[derive(Serialize)]
struct Verified {
    intact: bool,
    entries: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_broken: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

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
