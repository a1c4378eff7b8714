//! Server-rendered pages: home with the statistics, the catalog and its search, an entry with its
//! upload form and quality report, the entry form, sign-in, the audit log and a release job.
//! Every page is a `maud` template, so whatever a page shows is escaped unless it says otherwise;
//! forms post with the session's CSRF token.
//!
//! Each screen is a module; they share only this module's error and extractors and
//! [`layout`], so none imports another's handlers.

mod audit;
mod catalog;
mod entry;
mod forms;
mod jobs;
mod layout;
mod login;
mod open;
mod publish;
mod quality;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use pubdata_platform::store::StoreError;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Largest sign-in or sign-out form: a name (256 bytes at most), a password (1 KiB) and a token,
/// URL-encoded (up to three bytes per byte). A form is read whole before any check, so the
/// limit is what one post can make the server hold.
const SIGN_IN_FORM: usize = 16 << 10;

/// Largest entry form: `MAX_ITEMS` lines of items and four texts of `MAX_TEXT` characters,
/// URL-encoded (a Chinese character takes nine bytes), with room to spare.
const ENTRY_FORM: usize = 512 << 10;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::home))
        .route("/catalog", get(catalog::catalog))
        .route("/open", get(open::portal))
        .route("/open/{id}", get(open::dataset))
        .route("/open/{id}/releases/{number}", get(publish::release))
        .route("/catalog/{id}/publish", post(publish::publish))
        .route(
            "/catalog/{id}/releases/{rid}/withdraw",
            post(publish::withdraw),
        )
        .route(
            "/catalog/new",
            get(forms::new_entry_form)
                .post(forms::new_entry)
                .layer(DefaultBodyLimit::max(ENTRY_FORM)),
        )
        .route("/catalog/{id}", get(entry::entry))
        .route(
            "/catalog/{id}/edit",
            get(forms::edit_form)
                .post(forms::edit)
                .layer(DefaultBodyLimit::max(ENTRY_FORM)),
        )
        .route(
            "/catalog/{id}/upload",
            // The spool enforces the platform's own limit as the file streams in, and the form's
            // other fields are read up to a small limit each (`entry::upload`).
            post(entry::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/audit", get(audit::audit))
        .route("/jobs/{id}", get(jobs::job))
        .route("/lang", get(crate::l10n::switch))
        .route(
            "/login",
            get(login::login_form)
                .post(login::login)
                .layer(DefaultBodyLimit::max(SIGN_IN_FORM)),
        )
        .route(
            "/logout",
            post(login::logout).layer(DefaultBodyLimit::max(SIGN_IN_FORM)),
        )
}

/// What an address nothing serves answers: under `/api/` our JSON error (`no_route`, apart from
/// `not_found`, which a served route answers for a missing thing), elsewhere a page saying so
/// with a way back, never an empty body.
pub(crate) async fn no_route(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        let message = format!("nothing is served at {}", uri.path());
        return ApiError::new(StatusCode::NOT_FOUND, "no_route", message).into_response();
    }
    let t = crate::l10n::current();
    let body = html! {
        h1 { (t.t("not-found-title")) }
        p.error { (t.tf("not-found-message", &[("path", uri.path().into())])) }
        p {
            a href="/" { (t.t("back-home")) }
            " · "
            a href="/catalog" { (t.t("nav-catalog")) }
        }
    };
    (
        StatusCode::NOT_FOUND,
        page(layout::page(&t, &t.t("not-found-title"), None, body)),
    )
        .into_response()
}

/// A page-flavoured error: the same status, shown as a page (or, when the caller must sign in,
/// a redirect to the sign-in page).
pub(crate) struct PageError(pub(crate) ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError(e.into())
    }
}

impl From<FormRejection> for PageError {
    fn from(r: FormRejection) -> Self {
        PageError(ApiError::new(r.status(), "bad_request", r.body_text()))
    }
}

impl From<QueryRejection> for PageError {
    fn from(r: QueryRejection) -> Self {
        PageError(ApiError::new(r.status(), "bad_request", r.body_text()))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        // The message is the platform's (the API's words); the page around it is localized.
        let t = crate::l10n::current();
        let body = html! {
            h1 { (t.t("error-title")) " " (e.status.as_u16()) }
            p.error { (e.message) }
            p { a href="/" { (t.t("back-home")) } }
        };
        (
            e.status,
            page(layout::page(&t, &t.t("error-title"), None, body)),
        )
            .into_response()
    }
}

/// A whole rendered page as the response body.
fn page(m: Markup) -> Html<String> {
    Html(m.into_string())
}

/// A URL-encoded form read into `T`; a body that does not read (wrong type, too large, a field
/// that does not parse) is answered with the error page rather than axum's plain text.
pub(crate) struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let axum::extract::Form(v) = axum::extract::Form::<T>::from_request(req, state).await?;
        Ok(PageForm(v))
    }
}

/// A query string read into `T`, with the error page for one that does not parse.
pub(crate) struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(PageQuery(v))
    }
}

/// A stored time in the platform's zone, machine-readable in `datetime`: every page shows times
/// this way.
fn when(t: &crate::l10n::Texts, at: &str) -> Markup {
    html! { time datetime=(at) { (t.time(at)) } }
}

/// The signed-in user and the session's CSRF token, for the layout's sign-out form.
fn who(c: &Caller) -> Option<(&pubdata_platform::access::Principal, &str)> {
    c.principal
        .as_ref()
        .map(|p| (p, c.csrf.as_deref().unwrap_or("")))
}

/// Refuses an anonymous caller: the error page sends them to sign in.
fn signed_in(c: &Caller) -> Result<(), PageError> {
    match c.principal {
        Some(_) => Ok(()),
        None => Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into()),
    }
}

/// Whether a form's text field was left empty (or only spaces).
fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A form field that may be left empty: empty reads as absent, anything else must parse as `T`.
fn blank_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    match Option::<String>::deserialize(d)? {
        Some(s) if !blank(&s) => T::deserialize(s.trim().to_string().into_deserializer()).map(Some),
        _ => Ok(None),
    }
}
