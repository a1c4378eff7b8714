//! What wraps every response: a panic in a handler becomes a 500 JSON error and an audit entry
//! (before, the connection closed with no answer and no trace), and every response carries the
//! headers that keep the pages from being framed or sniffed.

use std::panic::AssertUnwindSafe;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use pubdata_platform::audit::Outcome;

use crate::AppState;

/// The pages load nothing from elsewhere and run no script; forms post to this site only.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// Longest panic message kept in the audit log: panics carry internal text, never a person's data
/// by design, but the log is append-only, so it is kept short.
const MAX_PANIC_TEXT: usize = 200;

/// Runs the request; a panic becomes a 500 and is audited with the method and path.
pub(crate) async fn catch_panics(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().chars().take(200).collect::<String>();
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-text panic".into());
            let text: String = text.chars().take(MAX_PANIC_TEXT).collect();
            let _ = s
                .store
                .audit(
                    "unknown",
                    "internal_error",
                    &format!("{method} {path}"),
                    Outcome::Failed,
                    &format!("panic: {text}"),
                )
                .await;
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({
                    "error": "internal",
                    "message": "internal error; it has been recorded in the audit log",
                })),
            )
                .into_response()
        }
    }
}

/// Adds the security headers to every response.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use pubdata_platform::store::Store;
    use tower::ServiceExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_panicking_handler_answers_500_json_and_is_audited() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&Store::sqlite_url(&dir.path().join("m.db")))
            .await
            .expect("store");
        let datasets = pubdata_platform::ingest::local_storage(dir.path()).expect("location");
        let state = AppState::new(store.clone(), datasets);
        let app: Router = Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("primitive array");
                    }
                    "unreachable"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                catch_panics,
            ))
            .with_state(state);
        let r = app
            .oneshot(Request::get("/boom").body(Body::empty()).expect("req"))
            .await
            .expect("a response, not a closed connection");
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let entries = store
            .audit_entries(&Default::default())
            .await
            .expect("entries");
        let last = entries.last().expect("an entry");
        assert_eq!(last.record.action, "internal_error");
        assert_eq!(last.record.target, "GET /boom");
        assert!(
            last.record.detail.contains("primitive array"),
            "{}",
            last.record.detail
        );
    }
}
