//! `pubdata serve`: the platform's JSON API under `/api/v1` (described by
//! `/api/v1/openapi.json`) and its server-rendered pages, over the metadata store.
//!
//! Every route decides through [`pubdata_platform::access::authorize`]; a refusal is audited.
//! API callers present a bearer token; browsers a session cookie, and every form or API call that
//! changes something with a cookie must echo the session's CSRF token.

mod api;
mod auth;
mod error;
mod guard;
mod html;
mod limits;
pub mod openapi;
mod pages;
mod pages_entry;
mod quality_html;
mod sql;
mod uploads;

use std::net::SocketAddr;

use axum::Router;
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::Store;

pub use auth::SESSION_COOKIE;
pub use limits::AnonymousRate;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The metadata store.
    pub store: Store,
    /// Where dataset parts are kept; uploads are spooled in its scratch folder.
    pub datasets: DatasetStorage,
    /// Largest upload accepted, in bytes.
    pub max_upload: u64,
    /// Whether session cookies carry `Secure` (set when the portal is served over HTTPS).
    pub secure_cookies: bool,
    /// The per-address limit on anonymous requests.
    pub anonymous_rate: AnonymousRate,
}

/// Default largest upload: 8 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 8 << 30;

impl AppState {
    /// State over `store` and `datasets`, with the default upload limit.
    pub fn new(store: Store, datasets: DatasetStorage) -> AppState {
        AppState {
            store,
            datasets,
            max_upload: DEFAULT_MAX_UPLOAD,
            secure_cookies: false,
            anonymous_rate: AnonymousRate::default(),
        }
    }
}

/// The whole application: API and pages.
pub fn app(state: AppState) -> Router {
    let limiter = limits::Limiter::new(state.anonymous_rate);
    Router::new()
        .merge(api::routes())
        .merge(uploads::routes())
        .merge(sql::routes())
        .merge(pages::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::catch_panics,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(limiter, limits::limit))
        .layer(axum::middleware::from_fn(guard::security_headers))
}

/// Serves `app` on `addr` until Ctrl-C.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // The peer address keys the sign-in throttles (see `auth::ClientAddr`).
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
