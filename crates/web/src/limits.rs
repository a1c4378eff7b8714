//! Requests are rate-limited: anonymous ones per client address (the public pages, downloads and
//! the CKAN API stay open to everyone, but one address cannot hold the server, or the audit
//! log's writers' turn, by itself), signed-in ones per user, at a higher rate of their own (a
//! token shared by a script, or many browsers behind one proxy, are limited by whom they act
//! for). A refusal is 429 with `Retry-After`.

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

/// A limit: a sustained rate per address (anonymous) or per user (signed in), and a burst
/// above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once above the rate.
    pub burst: u32,
}

impl Rate {
    /// The default for anonymous callers, per address: 50 a second, bursts of 200.
    pub const ANONYMOUS: Rate = Rate {
        per_second: 50,
        burst: 200,
    };
    /// The default for signed-in callers, per user: 200 a second, bursts of 1,000.
    pub const SIGNED_IN: Rate = Rate {
        per_second: 200,
        burst: 1000,
    };

    fn quota(self) -> Quota {
        let one = NonZeroU32::MIN;
        Quota::per_second(NonZeroU32::new(self.per_second).unwrap_or(one))
            .allow_burst(NonZeroU32::new(self.burst).unwrap_or(one))
    }
}

/// The limiter shared by every request.
#[derive(Clone)]
pub(crate) struct Limiter {
    anonymous: Arc<DefaultKeyedRateLimiter<String>>,
    signed_in: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limiter")
    }
}

impl Limiter {
    pub(crate) fn new(anonymous: Rate, signed_in: Rate) -> Limiter {
        Limiter {
            anonymous: Arc::new(RateLimiter::keyed(anonymous.quota())),
            signed_in: Arc::new(RateLimiter::keyed(signed_in.quota())),
        }
    }
}

/// Refuses a request with 429 and `Retry-After` when its user (signed in) or its address (not)
/// is over the limit. A credential counts only once it resolves to a holder: a made-up token or cookie is
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
    let mut user = None;
    let credentialed = parts.headers.contains_key(header::AUTHORIZATION)
        || session_cookie(&parts.headers).is_some();
    if credentialed && let Ok(caller) = Caller::resolve(&parts, &state).await {
        if let Some(p) = &caller.principal {
            // The request's log line (`crate::trace`) names who made it.
            tracing::Span::current().record("user", tracing::field::display(&p.user));
            user = Some(p.user.clone());
        }
        parts.extensions.insert(caller);
    }
    let req = Request::from_parts(parts, body);
    let (limiter, who, over) = match (&user, key) {
        (Some(u), _) => (&l.signed_in, u.clone(), "for this user"),
        (None, Some(ip)) => (&l.anonymous, ip, "from this address without signing in"),
        (None, None) => return next.run(req).await,
    };
    if limiter.len() > REMEMBERED {
        limiter.retain_recent();
    }
    if let Err(not_until) = limiter.check_key(&who) {
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
                "message": format!("too many requests {over}; try again in {wait} s"),
            })),
        )
            .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return r;
    }
    next.run(req).await
}
