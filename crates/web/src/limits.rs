//! Anonymous requests are rate-limited per client address: the public pages and API stay open
//! to everyone, but one address cannot hold the server (or the audit log's writers' turn) by
//! itself. Callers with a token or a session cookie are not limited here.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppState;
use crate::auth::{Caller, ClientKey, client_key, session_cookie};

/// Addresses remembered before idle ones are forgotten.
const REMEMBERED: usize = 100_000;

/// The anonymous limit: a sustained rate per address and a burst above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnonymousRate {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once above the rate.
    pub burst: u32,
}

impl Default for AnonymousRate {
    fn default() -> Self {
        AnonymousRate {
            per_second: 50,
            burst: 200,
        }
    }
}

/// The limiter shared by every request.
#[derive(Clone)]
pub(crate) struct Limiter {
    anonymous: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limiter")
    }
}

impl Limiter {
    pub(crate) fn new(rate: AnonymousRate) -> Limiter {
        let one = NonZeroU32::MIN;
        let quota = Quota::per_second(NonZeroU32::new(rate.per_second).unwrap_or(one))
            .allow_burst(NonZeroU32::new(rate.burst).unwrap_or(one));
        Limiter {
            anonymous: Arc::new(RateLimiter::keyed(quota)),
        }
    }
}

/// Refuses a request that is not signed in with 429 and `Retry-After` when its address is over
/// the limit. A credential counts only once it resolves to a holder: a made-up token or cookie is
/// anonymous here. The resolved caller is handed on, so handlers do not look it up again.
pub(crate) async fn limit(
    State((l, state)): State<(Limiter, AppState)>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let key = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_key(c.0.ip(), &parts.headers, &state.trusted_proxies));
    if let Some(k) = &key {
        parts.extensions.insert(ClientKey(k.clone()));
    }
    let mut anonymous = true;
    let credentialed = parts.headers.contains_key(header::AUTHORIZATION)
        || session_cookie(&parts.headers).is_some();
    if credentialed && let Ok(caller) = Caller::resolve(&parts, &state).await {
        anonymous = caller.principal.is_none();
        if let Some(p) = &caller.principal {
            // The request's log line (`crate::trace`) names who made it.
            tracing::Span::current().record("user", tracing::field::display(&p.user));
        }
        parts.extensions.insert(caller);
    }
    let req = Request::from_parts(parts, body);
    if let (true, Some(ip)) = (anonymous, key) {
        if l.anonymous.len() > REMEMBERED {
            l.anonymous.retain_recent();
        }
        if let Err(not_until) = l.anonymous.check_key(&ip) {
            let wait = not_until
                .wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                ))
                .as_secs()
                .max(1);
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(serde_json::json!({
                    "error": "rate_limited",
                    "message": format!("too many requests from this address without signing in; try again in {wait} s"),
                })),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            return r;
        }
    }
    next.run(req).await
}
