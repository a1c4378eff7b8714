//! Sign-in and sign-out: a session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) for the
//! browser, refused when the form was posted from another site.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use pubdata_platform::store::{CredentialKind, StoreError};
use serde::Deserialize;

use super::{PageError, PageForm, layout, page};
use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::l10n::Texts;

/// How long a browser session lives.
const SESSION_HOURS: i64 = 12;

/// The sign-in form. A field left out reads as empty, which signs no one in.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginForm {
    username: String,
    password: String,
}

/// The sign-out form: the session's CSRF token.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LogoutForm {
    csrf: Option<String>,
}

fn login_page(t: &Texts, message: Option<&str>) -> Html<String> {
    let body = html! {
        h1 { (t.t("login-title")) }
        @if let Some(m) = message {
            p.error { (m) }
        }
        form method="post" action="/login" {
            label for="username" { (t.t("login-user")) }
            input type="text" id="username" name="username" autocomplete="username";
            label for="password" { (t.t("login-password")) }
            input type="password" id="password" name="password" autocomplete="current-password";
            p { button type="submit" { (t.t("login-submit")) } }
        }
    };
    page(layout::page(t, &t.t("login-title"), None, body))
}

pub(super) async fn login_form(t: Texts) -> Html<String> {
    login_page(&t, None)
}

/// Whether a browser's POST comes from another site. Sign-in has no session to carry a CSRF
/// token yet, so this is what keeps another site from signing a visitor in to an account of its
/// choosing. A browser says so itself (`Sec-Fetch-Site: cross-site`), or its `Origin` names a host
/// that is neither the one the request was sent to nor the one a proxy forwarded it for (a form on
/// another site cannot set headers, so a forwarded host cannot be forged by one).
fn cross_site(headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h)
    else {
        // `null` (a sandboxed or privacy-sensitive context) or unreadable.
        return true;
    };
    let host = text(header::HOST).or_else(|| uri.authority().map(|a| a.as_str()));
    let forwarded = text(header::HeaderName::from_static("x-forwarded-host"));
    ![host, forwarded].into_iter().flatten().any(|h| {
        h.split(',')
            .any(|h| h.trim().eq_ignore_ascii_case(origin_host))
    })
}

/// The session cookie's attributes; `Secure` when the portal is served over HTTPS.
fn cookie_attributes(s: &AppState, max_age: i64) -> String {
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    format!("Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub(super) async fn login(
    State(s): State<AppState>,
    client: crate::auth::ClientAddr,
    headers: HeaderMap,
    uri: axum::http::Uri,
    t: Texts,
    PageForm(f): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    if cross_site(&headers, &uri) {
        let name: String = f.username.chars().take(64).collect();
        // Anyone can send this header: coalesced per client like every sign-in refusal.
        s.store
            .audit_refusal(
                &name,
                "sign_in",
                &format!("user:{name}"),
                "session: posted from another site",
                &client.0,
            )
            .await?;
        return Ok((
            StatusCode::FORBIDDEN,
            login_page(&t, Some(&t.t("login-cross-site"))),
        )
            .into_response());
    }
    match s
        .store
        .sign_in(
            &f.username,
            &f.password,
            &client.0,
            CredentialKind::Session,
            chrono::Duration::hours(SESSION_HOURS),
        )
        .await
    {
        Ok((_, cred)) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; {}",
                cred.token,
                cookie_attributes(&s, SESSION_HOURS * 3600)
            );
            let mut r = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(StoreError::Throttled { seconds }) => {
            let message = t.tf("login-throttled", &[("seconds", seconds.into())]);
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                login_page(&t, Some(&message)),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            Ok(r)
        }
        Err(StoreError::Busy { seconds }) => {
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                login_page(&t, Some(&t.t("login-busy"))),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            Ok(r)
        }
        Err(StoreError::BadCredentials) => Ok((
            StatusCode::UNAUTHORIZED,
            login_page(&t, Some(&t.t("login-wrong"))),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn logout(
    State(s): State<AppState>,
    caller: Caller,
    PageForm(f): PageForm<LogoutForm>,
) -> Result<Response, PageError> {
    if let Some(token) = &caller.token {
        caller.check_csrf(f.csrf.as_deref())?;
        s.store.revoke(token).await?;
    }
    let mut r = Redirect::to("/").into_response();
    let cookie = format!("{SESSION_COOKIE}=; {}", cookie_attributes(&s, 0));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}
