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
mod jobs;
pub mod l10n;
mod limits;
mod open;
pub mod openapi;
mod pages;
mod sql;
mod uploads;

use std::net::SocketAddr;

use axum::Router;
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::Store;

pub use auth::SESSION_COOKIE;
pub use limits::Rate;

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
    /// The time zone the pages show times in.
    pub time_zone: chrono_tz::Tz,
    /// Who runs the portal, as every page's footer says.
    pub site: std::sync::Arc<SiteInfo>,
    /// The per-address limit on anonymous requests.
    pub anonymous_rate: Rate,
    /// The per-user limit on signed-in requests (tokens and sessions).
    pub signed_in_rate: Rate,
    /// What the authority's SQL may take, and the runtime it runs on.
    pub sql: SqlSettings,
    /// Proxies whose `X-Forwarded-For` names the client (the TLS proxy in front of the portal):
    /// without them every client behind a proxy would share its limits.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The job workers, once started ([`AppState::start_workers`]); without them jobs queue.
    pub workers: Option<pubdata_release::jobs::Workers>,
}

/// Limits of the authority's SQL (`POST /api/v1/sql`) and the runtime its queries run on, apart
/// from the runtime that answers every other request.
#[derive(Debug, Clone)]
pub struct SqlSettings {
    /// A query still running after this is stopped (and audited as such).
    pub time_limit: std::time::Duration,
    /// Rows returned at most.
    pub max_rows: usize,
    /// Bytes of value text returned at most.
    pub max_bytes: usize,
    /// Memory a plan's operators may hold.
    pub memory: usize,
    /// The queries' own runtime.
    pub runtime: std::sync::Arc<SqlRuntime>,
    /// Queries running at once (more are refused with 503): each may hold `memory`.
    pub running: std::sync::Arc<tokio::sync::Semaphore>,
}

impl SqlSettings {
    /// The defaults: 30 s, 10,000 rows, 16 MiB of answer, 512 MiB of operator memory, two queries
    /// at once, one thread.
    pub fn new() -> std::io::Result<SqlSettings> {
        Ok(SqlSettings {
            time_limit: std::time::Duration::from_secs(30),
            max_rows: 10_000,
            max_bytes: 16 << 20,
            memory: 512 << 20,
            runtime: std::sync::Arc::new(SqlRuntime::new(1)?),
            running: std::sync::Arc::new(tokio::sync::Semaphore::new(2)),
        })
    }
}

/// A Tokio runtime of its own for SQL: a heavy query keeps its threads busy, not the threads that
/// answer the catalog and the pages.
#[derive(Debug)]
pub struct SqlRuntime(Option<tokio::runtime::Runtime>);

impl SqlRuntime {
    /// A runtime with `threads` worker threads.
    pub fn new(threads: usize) -> std::io::Result<SqlRuntime> {
        Ok(SqlRuntime(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .thread_name("pubdata-sql")
                .enable_all()
                .build()?,
        )))
    }

    fn handle(&self) -> tokio::runtime::Handle {
        match &self.0 {
            Some(r) => r.handle().clone(),
            // Only `Drop` takes it.
            None => tokio::runtime::Handle::current(),
        }
    }
}

impl Drop for SqlRuntime {
    fn drop(&mut self) {
        // Dropped from inside the server's runtime: shutting down must not block it.
        if let Some(r) = self.0.take() {
            r.shutdown_background();
        }
    }
}

/// Scratch files untouched this long when `serve` starts are a stopped process's leftovers.
const SCRATCH_GRACE_MINUTES: i64 = 60;

/// What the pages' footer tells visitors about who runs the portal; each line is left out when
/// not configured.
#[derive(Debug, Clone, Default)]
pub struct SiteInfo {
    /// How to reach the authority (an address, a telephone number).
    pub contact: Option<String>,
    /// Where the portal's terms of use are published.
    pub terms_url: Option<String>,
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
            time_zone: chrono_tz::Asia::Shanghai,
            site: Default::default(),
            anonymous_rate: Rate::ANONYMOUS,
            signed_in_rate: Rate::SIGNED_IN,
            sql: SqlSettings::new().expect("a runtime for SQL queries"),
            trusted_proxies: Vec::new(),
            workers: None,
        }
    }

    /// Starts `count` job workers on the current runtime (they fail the jobs a dead process
    /// left running, then take queued ones).
    pub fn start_workers(mut self, count: usize) -> AppState {
        self.workers = Some(pubdata_release::jobs::Workers::start(
            self.store.clone(),
            self.datasets.clone(),
            count,
            tokio::runtime::Handle::current(),
        ));
        self
    }
}

/// The whole application: API and pages.
pub fn app(state: AppState) -> Router {
    let limiter = limits::Limiter::new(state.anonymous_rate, state.signed_in_rate);
    let state_for_limits = state.clone();
    Router::new()
        .merge(axum::Router::from(openapi::router()))
        .merge(pages::routes())
        .merge(open::routes())
        .fallback(pages::no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            l10n::texts,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::catch_panics,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            (limiter, state_for_limits),
            limits::limit,
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(trace_layer())
}

/// One log line per request through `tracing` (tune with `RUST_LOG`): method, path (never the
/// query string, which may carry search terms), status, latency, and the user once the limiter
/// has resolved the credential. Bodies, headers and cookies are never logged, so no password,
/// token or uploaded value reaches the log.
fn trace_layer() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::http::Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    use tower_http::trace::{DefaultOnResponse, TraceLayer};
    TraceLayer::new_for_http()
        .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                user = tracing::field::Empty,
            )
        })
        .on_response(
            DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Millis),
        )
}

/// Serves `app` on `addr` until Ctrl-C. First clears the scratch folder of what an earlier
/// server or ingest left there (spooled uploads, parts being written), logging how much.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    // Only what is older than a grace period: a `pubdata ingest` running beside a starting
    // server (or a second server on the same folder) keeps its files.
    clear_scratch(
        &state.datasets,
        chrono::Utc::now() - chrono::Duration::minutes(SCRATCH_GRACE_MINUTES),
    )
    .await;
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

/// Removes the platform's scratch files last written before `started`: nothing can finish
/// them once their process is gone, and a spooled upload may be gigabytes. A failure is logged;
/// it does not stop the server (`pubdata datasets sweep` can clear them later).
async fn clear_scratch(datasets: &DatasetStorage, started: chrono::DateTime<chrono::Utc>) {
    let datasets = datasets.clone();
    let cleared = tokio::task::spawn_blocking(move || {
        let dir = datasets.scratch().display().to_string();
        (dir, datasets.clear_scratch(started))
    })
    .await;
    match cleared {
        Ok((_, Ok((0, _)))) => {}
        Ok((dir, Ok((files, bytes)))) => {
            tracing::info!(
                files,
                bytes,
                dir,
                "removed what an earlier run left in the scratch folder"
            )
        }
        Ok((_, Err(e))) => tracing::warn!(error = %e, "scratch folder not cleared"),
        Err(e) => tracing::warn!(error = %e, "scratch folder not cleared"),
    }
}
