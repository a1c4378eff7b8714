//! Who is calling: a bearer token (API) or a session cookie (pages), resolved through the store,
//! and the one place where a request is authorized and a refusal audited.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use pubdata_platform::access::{Action, Principal};
use pubdata_platform::store::CredentialKind;

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pubdata_session";

/// The header that carries the CSRF token on API calls made with a session cookie.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Anonymous,
    Bearer,
    Cookie,
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub principal: Option<Principal>,
    /// The peer address ("" when unknown), for the refusal log's windows.
    pub client: String,
    pub via: Via,
    pub csrf: Option<String>,
    pub token: Option<String>,
}

impl Caller {
    /// The name recorded in the audit log.
    pub fn actor(&self) -> &str {
        self.principal
            .as_ref()
            .map_or("anonymous", |p| p.user.as_str())
    }

    /// Authorizes `action` on `target` through the platform's one authorization call; a refusal
    /// is audited there and becomes the error to answer.
    pub async fn may(
        &self,
        state: &AppState,
        action: &Action,
        target: &str,
    ) -> Result<(), ApiError> {
        Ok(state
            .store
            .authorize(self.principal.as_ref(), action, target, &self.client)
            .await?)
    }

    /// Whether the caller may perform `action`, for what a page shows; nothing is recorded.
    pub fn permits(&self, action: &Action) -> bool {
        pubdata_platform::access::permits(self.principal.as_ref(), action)
    }

    /// A change made with a session cookie must carry the session's CSRF token (a bearer token
    /// cannot be sent by another site, so it needs none).
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), ApiError> {
        if self.via != Via::Cookie {
            return Ok(());
        }
        match (&self.csrf, given) {
            (Some(expected), Some(g)) if constant_eq(expected.as_bytes(), g.as_bytes()) => Ok(()),
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form or request lacks this session's CSRF token; reload the page and try again",
            )),
        }
    }

    /// [`Caller::check_csrf`] with the token from the `X-CSRF-Token` header.
    pub fn check_csrf_header(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        self.check_csrf(headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()))
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session cookie's value, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The rate limiter resolved it already (one store lookup per request).
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        Caller::resolve(parts, state).await
    }
}

impl Caller {
    /// Who the request's credentials name; an invalid bearer token is an error.
    pub(crate) async fn resolve(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
        let client = peer(parts);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or_default();
            let holder = match token {
                "" => None,
                t => state.store.holder(t).await?,
            };
            // A token that is presented but not valid is refused outright, never taken as
            // anonymous: the caller meant to be someone.
            return match holder {
                Some(h) if h.kind == CredentialKind::Api => Ok(Caller {
                    client: client.clone(),
                    principal: Some(h.principal),
                    via: Via::Bearer,
                    csrf: None,
                    token: Some(token.to_string()),
                }),
                _ => Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the bearer token is unknown, revoked or expired; request a new one at POST /api/v1/tokens",
                )),
            };
        }
        if let Some(cookie) = session_cookie(&parts.headers)
            && let Some(h) = state.store.holder(&cookie).await?
            && h.kind == CredentialKind::Session
        {
            return Ok(Caller {
                client: client.clone(),
                principal: Some(h.principal),
                via: Via::Cookie,
                csrf: Some(h.csrf),
                token: Some(cookie),
            });
        }
        Ok(Caller {
            client: client.clone(),
            principal: None,
            via: Via::Anonymous,
            csrf: None,
            token: None,
        })
    }
}

fn peer(parts: &Parts) -> String {
    // The limiter (the outermost layer) worked it out once, proxies considered.
    if let Some(c) = parts.extensions.get::<ClientKey>() {
        return c.0.clone();
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| client_key(c.0.ip(), &parts.headers, &[]))
        .unwrap_or_default()
}

/// The client as every per-client limit keys it, set on the request by the limiter.
#[derive(Debug, Clone)]
pub(crate) struct ClientKey(pub String);

/// The key of the client behind `peer`: behind a trusted proxy, the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy (what the proxy saw; the left-most entries
/// are the client's own words); an IPv6 client by its /64, since one host holds a whole /64.
pub(crate) fn client_key(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    use std::net::IpAddr;
    let mut ip = peer;
    if trusted.contains(&peer) {
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        if let Some(&client) = forwarded.iter().rev().find(|a| !trusted.contains(a)) {
            ip = client;
        }
    }
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The caller's network address as the throttles key it (see [`client_key`]; "" when the server
/// was not given connection information, as in tests that call the router directly).
/// `X-Forwarded-For` is read only from the proxies `serve --trusted-proxy` names: anyone can
/// write it.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(peer(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_what_the_proxy_saw() {
        let mut h = HeaderMap::new();
        // The client wrote the first entry itself; the proxy appended what it saw.
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 203.0.113.9".parse().expect("header"),
        );
        let proxy = ip("10.0.0.2");
        assert_eq!(client_key(proxy, &h, &[proxy]), "203.0.113.9");
        assert_eq!(
            client_key(proxy, &h, &[]),
            "10.0.0.2",
            "untrusted: the header is ignored"
        );
        assert_eq!(client_key(ip("198.51.100.1"), &h, &[proxy]), "198.51.100.1");
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let h = HeaderMap::new();
        let a = client_key(ip("2001:db8:1:2:aaaa::1"), &h, &[]);
        let b = client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), &h, &[]);
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("::ffff:192.0.2.1"), &h, &[]), "192.0.2.1");
    }
}
