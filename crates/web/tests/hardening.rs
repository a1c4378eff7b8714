//! Issue 13's findings against `serve`, each reproduced: audit floods, anonymous floods, the
//! audit page's paging bound, and the headers every response carries.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{Auth, platform};
use std::net::SocketAddr;
use tower::ServiceExt;

async fn get_from(app: &axum::Router, path: &str, from: [u8; 4], auth: Option<&str>) -> StatusCode {
    let mut req = Request::get(path);
    if let Some(t) = auth {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let mut req = req.body(Body::empty()).expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((from, 50000))));
    app.clone().oneshot(req).await.expect("response").status()
}

fn bearer(p: &common::Platform, caller: &str) -> String {
    match p.auth(caller) {
        Auth::Bearer(t) => t,
        other => panic!("{caller} has no bearer token: {other:?}"),
    }
}

async fn audit_rows(p: &common::Platform) -> u64 {
    p.store.verify_audit().await.expect("verify")
}

#[tokio::test]
async fn repeated_refusals_are_one_audit_entry_per_window_not_one_each() {
    let p = platform().await;
    let before = audit_rows(&p).await;
    let water = bearer(&p, "water");
    // A signed-in officer (not rate-limited) asks 200 times for what it may not read.
    for _ in 0..200 {
        let s = get_from(&p.app, "/api/v1/users", [10, 0, 0, 1], Some(&water)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let after = audit_rows(&p).await;
    assert_eq!(
        after - before,
        1,
        "the first refusal is logged, the repeats are counted"
    );
    // Another kind of refusal is its own entry.
    get_from(&p.app, "/api/v1/audit", [10, 0, 0, 1], Some(&water)).await;
    assert_eq!(audit_rows(&p).await - after, 1);
}

#[tokio::test]
async fn one_address_without_credentials_is_rate_limited_and_others_are_not() {
    let p = platform().await;
    let before = audit_rows(&p).await;
    let mut limited = 0;
    for _ in 0..400 {
        if get_from(&p.app, "/api/v1/users", [198, 51, 100, 7], None).await
            == StatusCode::TOO_MANY_REQUESTS
        {
            limited += 1;
        }
    }
    // The default burst is 200 (and 50 more per second while the loop runs).
    assert!(limited >= 100, "{limited} of 400 limited");
    assert!(
        audit_rows(&p).await - before <= 2,
        "the flood wrote almost nothing"
    );
    assert_eq!(
        get_from(&p.app, "/api/v1/stats", [192, 0, 2, 1], None).await,
        StatusCode::OK,
        "another address is served"
    );
    let admin = bearer(&p, "admin");
    assert_eq!(
        get_from(&p.app, "/api/v1/users", [198, 51, 100, 7], Some(&admin)).await,
        StatusCode::OK,
        "a signed-in caller from the same address is not limited here"
    );
}

#[tokio::test]
async fn every_response_forbids_framing_and_sniffing() {
    let p = platform().await;
    for path in ["/", "/catalog", "/login", "/api/v1/stats", "/no/such/page"] {
        let (_, headers, _) = p.send("GET", path, &Auth::None, None).await;
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'none'"), "{path}: {csp}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn audit_paging_past_the_last_number_is_empty_not_everything() {
    let p = platform().await;
    let auditor = p.auth("auditor");
    let (status, _, body) = p
        .send(
            "GET",
            &format!("/api/v1/audit?after={}", u64::MAX),
            &auditor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.trim(), "[]", "{body}");
}
