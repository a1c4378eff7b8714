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
        "a signed-in caller from the same address is not limited by the address's limit"
    );
}

#[tokio::test]
async fn a_signed_in_user_has_a_limit_of_their_own_wherever_they_call_from() {
    let mut p = platform().await;
    let datasets = pubdata_platform::ingest::local_storage(&p.data_dir).expect("datasets");
    p.app = pubdata_web::app(pubdata_web::AppState {
        signed_in_rate: pubdata_web::Rate {
            per_second: 1,
            burst: 20,
        },
        ..pubdata_web::AppState::new(p.store.clone(), datasets)
    });
    let admin = bearer(&p, "admin");
    let mut limited = 0;
    // From many addresses: the limit follows the user, not the address.
    for i in 0..60u8 {
        if get_from(&p.app, "/api/v1/users", [10, 1, 0, i], Some(&admin)).await
            == StatusCode::TOO_MANY_REQUESTS
        {
            limited += 1;
        }
    }
    assert!(limited >= 30, "{limited} of 60 limited");
    let auditor = bearer(&p, "auditor");
    assert_eq!(
        get_from(&p.app, "/api/v1/users", [10, 1, 0, 1], Some(&auditor)).await,
        StatusCode::FORBIDDEN,
        "another user is served (and refused for their role, not their rate)"
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

async fn upload(p: &common::Platform, csv: &str) {
    let path = format!("/api/v1/catalog/{}/versions?name=u.csv", p.entry_id);
    let (status, _, body) = p
        .send(
            "POST",
            &path,
            &p.auth("water"),
            Some(("text/csv", csv.into())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The detail of the newest `dataset.query` audit entry ("" when there is none).
async fn last_query_detail(p: &common::Platform) -> String {
    p.store
        .audit_entries(&pubdata_platform::store::AuditFilter {
            action: Some("dataset.query".into()),
            ..Default::default()
        })
        .await
        .expect("audit")
        .pop()
        .map(|e| e.record.detail)
        .unwrap_or_default()
}

async fn sql(p: &common::Platform, text: &str) -> (StatusCode, serde_json::Value) {
    p.json(
        "POST",
        "/api/v1/sql",
        &p.auth("admin"),
        Some(serde_json::json!({ "sql": text })),
    )
    .await
}

#[tokio::test]
async fn an_edited_entry_leaves_its_earlier_versions_readable_as_written() {
    let p = platform().await;
    upload(&p, "usage_m3\n1.5\n2\n").await;
    // Rename and retype the item: versions written before keep their own schema.
    let mut changed = p.store.entry(&p.entry_id).await.expect("entry");
    changed.entry.items[0].name = "street".into();
    changed.entry.items[0].data_type = pubdata_platform::catalog::DataType::Text;
    let body = serde_json::json!({"revision": changed.revision, "entry": changed.entry});
    let (status, text) = p
        .json(
            "PUT",
            &format!("/api/v1/catalog/{}", p.entry_id),
            &p.auth("water"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let table = p.entry_id.replace('-', "_");
    let (status, r) = sql(
        &p,
        &format!("SELECT usage_m3 FROM {table}_v1 ORDER BY usage_m3 DESC"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["columns"], serde_json::json!(["usage_m3"]));
    assert_eq!(r["rows"], serde_json::json!([[2.0], [1.5]]));
    // An append under the new items would mix two schemas in one version: refused, naming the
    // way forward; a replacement starts version 2 with the new items.
    let path = format!(
        "/api/v1/catalog/{}/versions?name=u.csv&mode=append",
        p.entry_id
    );
    let (status, _, body) = p
        .send(
            "POST",
            &path,
            &p.auth("water"),
            Some((
                "text/csv",
                "street
文三路
"
                .into(),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("mode replace"), "{body}");
    let path = format!(
        "/api/v1/catalog/{}/versions?name=u.csv&mode=replace",
        p.entry_id
    );
    let (status, _, body) = p
        .send(
            "POST",
            &path,
            &p.auth("water"),
            Some((
                "text/csv",
                "street
文三路
"
                .into(),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, r) = sql(&p, &format!("SELECT street FROM {table}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["rows"], serde_json::json!([["文三路"]]));
    let (status, r) = sql(&p, &format!("SELECT SUM(usage_m3) AS s FROM {table}_v1")).await;
    assert_eq!(
        (status, &r["rows"]),
        (StatusCode::OK, &serde_json::json!([[3.5]]))
    );
}

#[tokio::test]
async fn a_query_past_its_time_limit_is_stopped_audited_and_others_are_served_meanwhile() {
    let mut p = platform().await;
    let mut state = pubdata_web::AppState::new(
        p.store.clone(),
        pubdata_platform::ingest::local_storage(&p.data_dir).expect("location"),
    );
    state.sql.time_limit = std::time::Duration::from_secs(2);
    p.app = pubdata_web::app(state);
    upload(&p, &format!("usage_m3\n{}", "1\n".repeat(3000))).await;
    let table = p.entry_id.replace('-', "_");
    // 3000^3 = 27e9 rows: minutes of work, stopped at 2 s.
    let slow = format!("SELECT COUNT(*) FROM {table} a, {table} b, {table} c");
    let app = p.app.clone();
    let admin = bearer(&p, "admin");
    let query = tokio::spawn(async move {
        let req = Request::post("/api/v1/sql")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::json!({ "sql": slow }).to_string()))
            .expect("request");
        let resp = app.oneshot(req).await.expect("response");
        let status = resp.status();
        let bytes = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
        )
    });
    // While it runs, the catalog still answers.
    for _ in 0..5 {
        let (status, _, _) = p.send("GET", "/api/v1/stats", &Auth::None, None).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert!(
        !query.is_finished(),
        "the statistics came back before the query"
    );
    let (status, body) = query.await.expect("query task");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "time_limit", "{body}");
    let detail = last_query_detail(&p).await;
    assert!(detail.contains("time limit"), "{detail}");
}

#[tokio::test]
async fn a_query_whose_caller_goes_away_is_cancelled_and_audited() {
    let p = platform().await;
    upload(&p, &format!("usage_m3\n{}", "1\n".repeat(3000))).await;
    let table = p.entry_id.replace('-', "_");
    let slow = format!("SELECT COUNT(*) FROM {table} a, {table} b, {table} c");
    // The client gives up after half a second: the request future is dropped.
    let gave_up = tokio::time::timeout(std::time::Duration::from_millis(500), sql(&p, &slow)).await;
    assert!(gave_up.is_err(), "the query cannot have finished");
    let mut cancelled = false;
    for _ in 0..50 {
        if last_query_detail(&p).await.contains("cancelled") {
            cancelled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(cancelled, "the cancelled query is in the audit log");
}

#[tokio::test]
async fn a_comment_cannot_hide_the_statement_from_the_audit_log() {
    let p = platform().await;
    upload(&p, "usage_m3\n1\n").await;
    let table = p.entry_id.replace('-', "_");
    let text = format!("/* {} */ SELECT COUNT(*) FROM {table}", "x".repeat(5000));
    let (status, body) = sql(&p, &text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail = last_query_detail(&p).await;
    assert!(detail.contains(&format!("FROM {table}")), "{detail}");
    assert!(detail.contains("sha256"), "{detail}");
    assert!(detail.len() < 3000, "{} bytes", detail.len());
}

const RESIDENT_ID: &str = "11010519491231002X";
const MOBILE: &str = "13812345678";

/// Every audit entry, as text.
async fn audit_text(p: &common::Platform) -> Vec<String> {
    p.store
        .audit_entries(&pubdata_platform::store::AuditFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .expect("audit")
        .iter()
        .map(|e| format!("{:?}", e.record))
        .collect()
}

/// A multipart upload form with its file.
fn upload_form(csrf: &str, content: &str) -> Option<(&'static str, String)> {
    let b = "----pubdataboundary";
    Some((
        "multipart/form-data; boundary=----pubdataboundary",
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{content}\r\n--{b}--\r\n"
        ),
    ))
}

#[tokio::test]
async fn a_file_without_its_header_row_never_shows_its_values() {
    let p = platform().await;
    let path = format!("/api/v1/catalog/{}/versions?name=u.csv", p.entry_id);
    let csv = format!("330106001, {RESIDENT_ID}, {MOBILE}\n1,2,3\n");
    let (status, _, body) = p
        .send(
            "POST",
            &path,
            &p.auth("water"),
            Some(("text/csv", csv.clone())),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("column 2 looks like cn_resident_id")
            && body.contains("column 3 looks like cn_mobile")
            && body.contains("header row"),
        "{body}"
    );
    // The page's upload form says the same.
    let water = p.session("water").await;
    let cookie = Auth::Cookie {
        token: water.token.clone(),
        csrf: None,
    };
    let (status, _, page) = p
        .send(
            "POST",
            &format!("/catalog/{}/upload", p.entry_id),
            &cookie,
            upload_form(&water.csrf, &csv),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("column 2 looks like cn_resident_id"),
        "{page}"
    );
    let audit = audit_text(&p).await;
    assert!(
        audit
            .iter()
            .filter(|a| a.contains("dataset.ingest") && a.contains("column 2"))
            .count()
            == 2,
        "both refusals are audited: {audit:#?}"
    );
    for text in audit.iter().chain([&body, &page]) {
        for value in [RESIDENT_ID, MOBILE, "330106001"] {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }
}

#[tokio::test]
async fn a_very_wide_header_gives_a_short_message() {
    let p = platform().await;
    let path = format!("/api/v1/catalog/{}/versions?name=u.csv", p.entry_id);
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let csv = format!("{}\n{}\n", header.join(","), vec!["1"; 100_000].join(","));
    let (status, _, body) = p
        .send("POST", &path, &p.auth("water"), Some(("text/csv", csv)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("and 99990 more"), "{body}");
    assert!(body.len() < 2000, "{} bytes", body.len());
    for text in audit_text(&p).await {
        assert!(text.len() < 3000, "{} bytes: {text}", text.len());
    }
}

/// A streamed body of `head`, then `fill` bytes, then `tail`; the counter says how much of it
/// the server read. Each chunk comes after a pause, as from a network: a reader that takes
/// whatever is ready (multer does) then sees the body arrive, not all of it at once.
fn counted_body(
    head: String,
    fill: usize,
    tail: String,
) -> (Body, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use futures::StreamExt as _;
    use std::sync::atomic::Ordering;
    const CHUNK: usize = 64 << 10;
    let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = read.clone();
    let chunks = std::iter::once(head.into_bytes())
        .chain((0..fill.div_ceil(CHUNK)).map(|_| vec![b'a'; CHUNK]))
        .chain(std::iter::once(tail.into_bytes()));
    let stream = futures::stream::iter(chunks).then(move |c| {
        let counter = counter.clone();
        async move {
            tokio::task::yield_now().await;
            counter.fetch_add(c.len(), Ordering::Relaxed);
            Ok::<_, std::io::Error>(axum::body::Bytes::from(c))
        }
    });
    (Body::from_stream(stream), read)
}

#[tokio::test]
async fn an_oversized_form_field_is_refused_before_it_is_read_whole() {
    let p = platform().await;
    let water = p.session("water").await;
    let cookie = format!("pubdata_session={}", water.token);
    let huge = 64 << 20;
    let b = "----pubdataboundary";
    let cases = [
        (
            "/login",
            "application/x-www-form-urlencoded",
            "username=water&password=x&csrf=".to_string(),
            String::new(),
            128 << 10,
        ),
        (
            "/catalog/new",
            "application/x-www-form-urlencoded",
            format!("csrf={}&title=", water.csrf),
            String::new(),
            1 << 20,
        ),
        (
            &*format!("/catalog/{}/upload", p.entry_id),
            "multipart/form-data; boundary=----pubdataboundary",
            format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"),
            format!("\r\n--{b}--\r\n"),
            256 << 10,
        ),
    ];
    for (path, content_type, head, tail, at_most) in cases {
        let (body, read) = counted_body(head, huge, tail);
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::COOKIE, &cookie)
            .body(body)
            .expect("request");
        let resp = p.app.clone().oneshot(req).await.expect("response");
        let read = read.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert!(read <= at_most, "{path}: {read} bytes read");
    }
}

#[tokio::test]
async fn serve_clears_what_a_crashed_run_left_in_the_scratch_folder() {
    let p = platform().await;
    let datasets = pubdata_platform::ingest::local_storage(&p.data_dir).expect("storage");
    let scratch = datasets.scratch().to_path_buf();
    let spool = datasets.spool_path();
    let leftovers = [
        spool
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned(),
        "part-crashed.parquet".to_string(),
        ".part-crashed.parquet.4242.0.tmp".to_string(),
    ];
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    // A part being written right now by an ingest beside the server stays.
    std::fs::write(scratch.join("part-running.parquet"), b"PAR1").expect("running part");
    for name in leftovers.iter().map(String::as_str).chain(["notes.txt"]) {
        let file = std::fs::File::create(scratch.join(name)).expect("create");
        std::io::Write::write_all(&mut &file, &[0u8; 4096]).expect("write");
        file.set_modified(before).expect("mtime");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let server = tokio::spawn(pubdata_web::serve(
        addr,
        pubdata_web::AppState::new(p.store.clone(), datasets),
    ));
    // The folder is cleared before the server listens.
    let mut listening = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            listening = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.abort();
    assert!(listening, "the server listens");
    let mut left: Vec<String> = std::fs::read_dir(&scratch)
        .expect("scratch")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["notes.txt", "part-running.parquet"],
        "only old files of ours go"
    );
}

async fn send_from(
    app: &axum::Router,
    method: &str,
    path: &str,
    from: [u8; 4],
    headers: &[(&str, &str)],
    body: Option<String>,
) -> StatusCode {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((from, 50000))));
    app.clone().oneshot(req).await.expect("response").status()
}

#[tokio::test]
async fn made_up_credentials_do_not_escape_the_anonymous_limit() {
    let p = platform().await;
    for (header, value) in [
        ("cookie", "pubdata_session=made-up"),
        ("authorization", "Bearer made-up"),
        ("authorization", "x"),
    ] {
        let from = [198, 51, 100, header.len() as u8 + value.len() as u8];
        let mut limited = 0;
        for _ in 0..300 {
            if send_from(
                &p.app,
                "GET",
                "/api/v1/stats",
                from,
                &[(header, value)],
                None,
            )
            .await
                == StatusCode::TOO_MANY_REQUESTS
            {
                limited += 1;
            }
        }
        assert!(limited >= 50, "{header}: {value}: {limited} of 300 limited");
    }
}

#[tokio::test]
async fn anonymous_refusals_naming_ever_new_targets_are_still_one_entry_per_window() {
    let p = platform().await;
    let before = audit_rows(&p).await;
    // Generous limits: the coalescing, not the rate limit, is under test.
    for i in 0..100 {
        let body = serde_json::json!({"username": format!("user{i}"), "password": "x"}).to_string();
        send_from(
            &p.app,
            "POST",
            "/api/v1/users",
            [203, 0, 113, 1],
            &[("content-type", "application/json")],
            Some(body),
        )
        .await;
    }
    assert!(
        audit_rows(&p).await - before <= 1,
        "one entry for the window"
    );
    // Held-back sign-ins (no password check, so fast) are coalesced as well.
    let before = audit_rows(&p).await;
    for _ in 0..60 {
        let body = serde_json::json!({"username": "admin", "password": "wrong"}).to_string();
        send_from(
            &p.app,
            "POST",
            "/api/v1/tokens",
            [203, 0, 113, 2],
            &[("content-type", "application/json")],
            Some(body),
        )
        .await;
    }
    let written = audit_rows(&p).await - before;
    assert!(written <= 8, "{written} entries for 60 attempts");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let mut p = platform().await;
    let mut state = pubdata_web::AppState::new(
        p.store.clone(),
        pubdata_platform::ingest::local_storage(&p.data_dir).expect("location"),
    );
    state.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    p.app = pubdata_web::app(state);
    let proxy = [127, 0, 0, 1];
    let mut limited = 0;
    for _ in 0..300 {
        let s = send_from(
            &p.app,
            "GET",
            "/api/v1/stats",
            proxy,
            &[("x-forwarded-for", "203.0.113.50")],
            None,
        )
        .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(limited >= 50, "{limited} of 300 limited");
    let other = send_from(
        &p.app,
        "GET",
        "/api/v1/stats",
        proxy,
        &[("x-forwarded-for", "198.51.100.60")],
        None,
    )
    .await;
    assert_eq!(
        other,
        StatusCode::OK,
        "another client through the same proxy"
    );
}
