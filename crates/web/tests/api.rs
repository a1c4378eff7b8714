//! The API from the outside: every route against every role, organization boundaries, tokens,
//! CSRF, bad input, and the OpenAPI document.

mod common;

use axum::http::StatusCode;
use common::{Auth, CALLERS, PASSWORD, platform};
use serde_json::{Value, json};

/// Expected status per caller, in the order of [`CALLERS`]:
/// anonymous, admin, water officer, power officer, auditor, applicant, operator.
fn expect(codes: [u16; 7]) -> [u16; 7] {
    codes
}

#[tokio::test]
async fn every_route_against_every_role() {
    let p = platform().await;
    let id = p.entry_id.clone();
    for (i, caller) in CALLERS.iter().enumerate() {
        let auth = p.auth(caller);
        // Each allowed creation needs a fresh name.
        let new_org = json!({"code": format!("org-{i}"), "name": format!("某县交通集团{i}"),
                             "kind": "public_transport", "level": "county", "region": "330106"});
        let new_user = json!({"username": format!("user-{i}"), "role": "applicant",
                              "password": PASSWORD});
        let new_entry =
            serde_json::to_value(common::entry("hz-water", &format!("新条目{i}"))).expect("json");
        let revision = p.store.entry(&id).await.expect("entry").revision;
        let update = json!({"revision": revision,
                            "entry": common::entry("hz-water", &format!("改名{i}"))});
        let cases: Vec<(&str, String, Option<Value>, [u16; 7])> = vec![
            ("GET", "/api/v1/openapi.json".into(), None, expect([200; 7])),
            ("GET", "/api/v1/stats".into(), None, expect([200; 7])),
            (
                "GET",
                "/api/v1/me".into(),
                None,
                expect([401, 200, 200, 200, 200, 200, 200]),
            ),
            (
                "GET",
                "/api/v1/catalog?q=用水".into(),
                None,
                expect([200; 7]),
            ),
            (
                "GET",
                format!("/api/v1/catalog/{id}"),
                None,
                expect([200; 7]),
            ),
            (
                "POST",
                "/api/v1/catalog".into(),
                Some(new_entry),
                expect([401, 201, 201, 403, 403, 403, 403]),
            ),
            (
                "PUT",
                format!("/api/v1/catalog/{id}"),
                Some(update),
                expect([401, 200, 200, 403, 403, 403, 403]),
            ),
            (
                "GET",
                "/api/v1/organizations".into(),
                None,
                expect([200; 7]),
            ),
            (
                "POST",
                "/api/v1/organizations".into(),
                Some(new_org),
                expect([401, 201, 403, 403, 403, 403, 403]),
            ),
            (
                "GET",
                "/api/v1/users".into(),
                None,
                expect([401, 200, 403, 403, 403, 403, 403]),
            ),
            (
                "POST",
                "/api/v1/users".into(),
                Some(new_user),
                expect([401, 201, 403, 403, 403, 403, 403]),
            ),
            (
                "GET",
                "/api/v1/audit".into(),
                None,
                expect([401, 200, 403, 403, 200, 403, 403]),
            ),
            (
                "GET",
                "/api/v1/audit/verify".into(),
                None,
                expect([401, 200, 403, 403, 200, 403, 403]),
            ),
            (
                "GET",
                format!("/api/v1/catalog/{id}/versions"),
                None,
                expect([401, 200, 200, 403, 200, 403, 403]),
            ),
            (
                "POST",
                "/api/v1/sql".into(),
                Some(json!({"sql": "SELECT 1"})),
                expect([401, 200, 403, 403, 403, 403, 403]),
            ),
            (
                "POST",
                "/api/v1/tokens".into(),
                Some(json!({"username": caller, "password": "not the password"})),
                expect([401; 7]),
            ),
        ];
        for (method, path, body, codes) in cases {
            let (status, answer) = p.json(method, &path, &auth, body).await;
            assert_eq!(
                status.as_u16(),
                codes[i],
                "{caller} {method} {path}: {answer}"
            );
        }
        // Uploads carry a file, not JSON.
        let upload_codes = [401, 403, 201, 403, 403, 403, 403];
        let (status, _, answer) = p
            .send(
                "POST",
                &format!("/api/v1/catalog/{id}/versions?name=u.csv"),
                &auth,
                Some(("text/csv", "usage_m3\n1.5\n".into())),
            )
            .await;
        assert_eq!(
            status.as_u16(),
            upload_codes[i],
            "{caller} uploads: {answer}"
        );
        // Last, as it ends the caller's token: anyone signed in may revoke their own.
        let revoke_codes = [401, 204, 204, 204, 204, 204, 204];
        let (status, answer) = p
            .json("DELETE", "/api/v1/tokens/current", &auth, None)
            .await;
        assert_eq!(
            status.as_u16(),
            revoke_codes[i],
            "{caller} revokes: {answer}"
        );
        if i > 0 {
            let (status, _) = p.json("GET", "/api/v1/me", &auth, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{caller}'s token is over");
        }
    }
    // Every refusal was audited, with who asked.
    let admin = Auth::Bearer(
        p.store
            .issue(
                "admin",
                pubdata_platform::store::CredentialKind::Api,
                "test",
                chrono::Duration::hours(1),
            )
            .await
            .expect("token")
            .token,
    );
    let (_, denied) = p
        .json(
            "GET",
            "/api/v1/audit?outcome=denied&limit=1000",
            &admin,
            None,
        )
        .await;
    let denied = denied.as_array().expect("list");
    assert!(
        denied
            .iter()
            .any(|e| e["actor"] == "power" && e["action"] == "catalog.update")
    );
    assert!(
        denied
            .iter()
            .any(|e| e["actor"] == "anonymous" && e["action"] == "user.manage")
    );
    let (_, verify) = p.json("GET", "/api/v1/audit/verify", &admin, None).await;
    assert_eq!(verify["intact"], true, "{verify}");
}

#[tokio::test]
async fn an_officer_cannot_move_an_entry_to_another_organization_or_edit_one_by_naming_its_own() {
    let p = platform().await;
    let power = p.auth("power");
    let water = p.auth("water");
    // The power officer names its own organization in the body of the water company's entry.
    let sneaky = json!({"revision": 1, "entry": common::entry("hz-power", "改到我名下")});
    let (status, _) = p
        .json(
            "PUT",
            &format!("/api/v1/catalog/{}", p.entry_id),
            &power,
            Some(sneaky),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The owner itself cannot hand the entry to another organization.
    let moved = json!({"revision": 1, "entry": common::entry("hz-power", "移交")});
    let (status, body) = p
        .json(
            "PUT",
            &format!("/api/v1/catalog/{}", p.entry_id),
            &water,
            Some(moved),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        p.store.entry(&p.entry_id).await.expect("entry").entry.title,
        "居民用水量"
    );
    // Creating for another organization is refused too.
    let (status, _) = p
        .json(
            "POST",
            "/api/v1/catalog",
            &power,
            Some(serde_json::to_value(common::entry("hz-water", "代建")).expect("json")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tokens_are_issued_for_passwords_and_refused_when_forged_expired_or_revoked() {
    let p = platform().await;
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/tokens",
            &Auth::None,
            Some(json!({"username": "water", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = Auth::Bearer(body["token"].as_str().expect("token").to_string());
    let (status, me) = p.json("GET", "/api/v1/me", &token, None).await;
    assert_eq!(
        (status, me["organization"].as_str()),
        (StatusCode::OK, Some("hz-water"))
    );

    let (status, body) = p
        .json(
            "POST",
            "/api/v1/tokens",
            &Auth::None,
            Some(json!({"username": "water", "password": "not the password"})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );

    for forged in [
        Auth::Bearer("pdt_forged".into()),
        Auth::Raw("Bearer ".into()),
        Auth::Raw("Basic d2F0ZXI6cGFzcw==".into()),
    ] {
        let (status, body) = p.json("GET", "/api/v1/catalog", &forged, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{forged:?}: {body}");
        assert_eq!(body["error"], "invalid_token");
    }
    let expired = p
        .store
        .issue(
            "admin",
            pubdata_platform::store::CredentialKind::Api,
            "old",
            chrono::Duration::seconds(-5),
        )
        .await
        .expect("issue");
    let (status, _) = p
        .json("GET", "/api/v1/users", &Auth::Bearer(expired.token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = p
        .json("DELETE", "/api/v1/tokens/current", &token, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = p.json("GET", "/api/v1/me", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A session cookie is not an API token, and an API token is not a cookie.
    let session = p.session("admin").await;
    let (status, _) = p
        .json(
            "GET",
            "/api/v1/users",
            &Auth::Bearer(session.token.clone()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let Auth::Bearer(api) = p.auth("admin") else {
        unreachable!()
    };
    let (status, _) = p
        .json(
            "GET",
            "/api/v1/users",
            &Auth::Cookie {
                token: api,
                csrf: None,
            },
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_change_made_with_a_session_cookie_needs_the_csrf_token() {
    let p = platform().await;
    let s = p.session("admin").await;
    let body = || Some(serde_json::to_value(common::entry("hz-water", "经由会话")).expect("json"));
    let bare = Auth::Cookie {
        token: s.token.clone(),
        csrf: None,
    };
    let wrong = Auth::Cookie {
        token: s.token.clone(),
        csrf: Some("guess".into()),
    };
    let right = Auth::Cookie {
        token: s.token.clone(),
        csrf: Some(s.csrf.clone()),
    };
    for auth in [&bare, &wrong] {
        let (status, answer) = p.json("POST", "/api/v1/catalog", auth, body()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf"))
        );
    }
    assert_eq!(p.store.stats().await.expect("stats").catalog_entries, 1);
    let (status, _) = p.json("POST", "/api/v1/catalog", &right, body()).await;
    assert_eq!(status, StatusCode::CREATED);
    // Reading needs no CSRF token.
    let (status, _) = p.json("GET", "/api/v1/users", &bare, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_commits_nothing() {
    let p = platform().await;
    let admin = p.auth("admin");
    let (status, _, text) = p
        .send(
            "POST",
            "/api/v1/catalog",
            &admin,
            Some(("application/json", "{\"title\": ".into())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("\"error\":\"bad_request\""), "{text}");
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/catalog",
            &admin,
            Some(json!({"title": "缺字段"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("owner")),
        "{body}"
    );
    // A catalog rule: an L4 item may never be opened; the answer names the field.
    let mut l4 = common::entry("hz-water", "核心数据");
    l4.items[0].grade = pubdata_platform::catalog::SecurityGrade::L4;
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/catalog",
            &admin,
            Some(serde_json::to_value(l4).expect("json")),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("catalog_rules"))
    );
    assert!(
        body["fields"].as_array().is_some_and(|f| !f.is_empty()),
        "{body}"
    );
    let (status, _, _) = p
        .send(
            "POST",
            "/api/v1/catalog",
            &admin,
            Some(("application/json", "x".repeat(3 << 20))),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // SQL and pattern characters in a search are text.
    for q in ["'%20OR%201=1%20--", "%25", "%5C"] {
        let (status, body) = p
            .json("GET", &format!("/api/v1/catalog?q={q}"), &Auth::None, None)
            .await;
        assert_eq!(
            (status, body["total"].as_i64()),
            (StatusCode::OK, Some(0)),
            "{q}"
        );
    }
    let (status, _) = p
        .json("GET", "/api/v1/catalog?limit=lots", &Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = p
        .json("GET", "/api/v1/catalog/e-nothing", &Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(p.store.stats().await.expect("stats").catalog_entries, 1);
}

#[tokio::test]
async fn every_operation_in_the_openapi_document_is_served() {
    let p = platform().await;
    let (status, doc) = p
        .json("GET", "/api/v1/openapi.json", &Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let admin = p.auth("admin");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            operations += 1;
            assert!(
                operation["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                    .any(|code| code.starts_with('2')),
                "{method} {path} documents no success"
            );
            let path = path.replace("{id}", &p.entry_id);
            let (status, body) = p.json(&method.to_uppercase(), &path, &admin, None).await;
            // A served route may answer 404 for the thing (no job has an entry's id); an unserved
            // one answers 404 without our error body.
            let served_not_found = status == StatusCode::NOT_FOUND && body["error"] == "not_found";
            assert!(
                served_not_found
                    || (status != StatusCode::NOT_FOUND
                        && status != StatusCode::METHOD_NOT_ALLOWED),
                "{method} {path} is in the document but not served ({status})"
            );
            // Whatever it answered is a status the document lists for it.
            assert!(
                operation["responses"][status.as_str()].is_object(),
                "{method} {path} answered {status}, which its description does not list"
            );
        }
    }
    assert!(operations >= 23, "only {operations} operations documented");
    // Every schema reference resolves.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = &reference[..reference.find('"').expect("end of the reference")];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{name} is referenced but not described"
        );
    }
    // The enumerations in the document are the ones the server accepts.
    let schemas = &doc["components"]["schemas"];
    for cycle in schemas["UpdateCycle"]["enum"].as_array().expect("enum") {
        serde_json::from_value::<pubdata_platform::catalog::UpdateCycle>(cycle.clone())
            .expect("a cycle the server accepts");
    }
    for kind in schemas["OrganizationKind"]["enum"]
        .as_array()
        .expect("enum")
    {
        serde_json::from_value::<pubdata_platform::org::OrganizationKind>(kind.clone())
            .expect("a kind the server accepts");
    }
}

/// The other direction: every route under `/api/v1` is registered through the OpenAPI router
/// with its `#[utoipa::path]` description, never with axum's `route` (which would serve it
/// undocumented). Checked on the source, where such a registration would be. (The CKAN-compatible
/// `/api/3/action/...` is CKAN's API, described by CKAN's documentation.)
#[test]
fn no_api_route_is_registered_outside_the_openapi_router() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.clone()];
    let mut read = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for e in std::fs::read_dir(&path).expect("the web crate's source") {
                files.push(e.expect("a source entry").path());
            }
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        read += 1;
        let flat: String = text.split_whitespace().collect();
        for registration in [".route(\"/api/v", ".nest(\"/api", ".route_service(\"/api"] {
            assert!(
                !flat.contains(registration),
                "{} registers an API route without its description ({registration})",
                path.display()
            );
        }
    }
    assert!(read > 10, "read only {read} source files");
}

#[tokio::test]
async fn statistics_follow_the_catalog() {
    let p = platform().await;
    let (_, before) = p.json("GET", "/api/v1/stats", &Auth::None, None).await;
    assert_eq!(
        (
            before["catalog_entries"].as_i64(),
            before["data_items"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let mut e = common::entry("hz-water", "两项");
    e.items.push(e.items[0].clone());
    e.items[1].name = "usage_kwh".into();
    let (status, _) = p
        .json(
            "POST",
            "/api/v1/catalog",
            &p.auth("water"),
            Some(serde_json::to_value(e).expect("json")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, after) = p.json("GET", "/api/v1/stats", &Auth::None, None).await;
    assert_eq!(
        (
            after["catalog_entries"].as_i64(),
            after["data_items"].as_i64()
        ),
        (Some(2), Some(3))
    );
    for later in [
        "sharing_calls",
        "applications_served",
        "open_datasets",
        "open_data_items",
    ] {
        assert_eq!(
            after[later], 0,
            "{later} reads zero until its part of the platform exists"
        );
    }
}

#[tokio::test]
async fn uploads_are_for_the_owners_officers_and_versions_for_those_who_read_its_data() {
    let p = platform().await;
    let path = format!("/api/v1/catalog/{}/versions", p.entry_id);
    let upload = format!("{path}?name=usage.csv");
    let csv = || Some(("text/csv", "usage_m3\n1.5\n2\n".to_string()));
    let upload_codes = [401, 403, 201, 403, 403, 403, 403];
    let list_codes = [401, 200, 200, 403, 200, 403, 403];
    for (i, caller) in CALLERS.iter().enumerate() {
        let auth = p.auth(caller);
        let (status, _, body) = p.send("POST", &upload, &auth, csv()).await;
        assert_eq!(status.as_u16(), upload_codes[i], "{caller} uploads: {body}");
        let (status, body) = p.json("GET", &path, &auth, None).await;
        assert_eq!(status.as_u16(), list_codes[i], "{caller} lists: {body}");
    }
    let (_, versions) = p.json("GET", &path, &p.auth("admin"), None).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(1));
    assert_eq!(versions[0]["rows"], 2);
    assert_eq!(versions[0]["uploaded_by"], "water");
    let (_, stats) = p.json("GET", "/api/v1/stats", &Auth::None, None).await;
    assert_eq!(stats["records_aggregated"], 2);
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_leave_nothing() {
    let p = platform().await;
    let water = p.auth("water");
    let path = format!("/api/v1/catalog/{}/versions", p.entry_id);
    // The uploader's name is recorded, never used as a path.
    let tricky = format!("{path}?name=..%2F..%2Fetc%2Fpasswd.csv&mode=replace");
    let (status, _, body) = p
        .send(
            "POST",
            &tricky,
            &water,
            Some(("text/csv", "usage_m3\n3\n".into())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let versions = p.store.versions(&p.entry_id).await.expect("versions");
    assert_eq!(versions[0].source_name, "passwd.csv");
    assert!(versions[0].parts[0].starts_with(&format!("{}/part-", p.entry_id)));

    let cases: Vec<(String, &str, StatusCode, &str)> = vec![
        (
            format!("{path}?name=u.csv"),
            "meter,usage_m3\nM1,1\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"not in the entry: column 1 \"meter\""#,
        ),
        (
            format!("{path}?name=u.csv"),
            "usage_m3\nlots\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "none of its 1 rows passed",
        ),
        (
            format!("{path}?name=u.exe"),
            "usage_m3\n1\n",
            StatusCode::BAD_REQUEST,
            "format",
        ),
        (
            format!("{path}?name=u.csv&mode=merge"),
            "usage_m3\n1\n",
            StatusCode::BAD_REQUEST,
            "mode",
        ),
        (
            format!("{path}?name=u.csv"),
            "",
            StatusCode::BAD_REQUEST,
            "empty",
        ),
    ];
    for (uri, body, expected, says) in cases {
        let (status, _, text) = p
            .send("POST", &uri, &water, Some(("text/csv", body.into())))
            .await;
        assert_eq!(status, expected, "{uri}: {text}");
        assert!(text.contains(says), "{uri}: {text}");
    }
    let (_, _, text) = p
        .send(
            "POST",
            &format!("{path}?name=u.csv"),
            &water,
            Some(("text/csv", "usage_m3\nlots\n".into())),
        )
        .await;
    let answer: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        answer["report"]["rows_rejected"], 1,
        "the report comes with the refusal"
    );
    // One row rejected of two: refused whole by default, with the report; kept when the
    // uploader allows it; a limit that does not read is a 400.
    let partial = "usage_m3\n1\nlots\n";
    for (query, expected) in [
        ("", StatusCode::UNPROCESSABLE_ENTITY),
        ("&max_rejected=some", StatusCode::BAD_REQUEST),
    ] {
        let (status, _, text) = p
            .send(
                "POST",
                &format!("{path}?name=u.csv{query}"),
                &water,
                Some(("text/csv", partial.into())),
            )
            .await;
        assert_eq!(status, expected, "{query}: {text}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let answer: Value = serde_json::from_str(&text).expect("json");
            assert_eq!(answer["report"]["rows_rejected"], 1, "{text}");
        }
    }

    // Beyond the size limit the upload is cut off.
    let mut small = pubdata_web::AppState::new(
        p.store.clone(),
        pubdata_platform::ingest::local_storage(&p.data_dir).expect("dataset location"),
    );
    small.max_upload = 64;
    let app = pubdata_web::app(small);
    let big = format!("usage_m3\n{}", "1\n".repeat(100));
    let req = axum::http::Request::post(format!("{path}?name=big.csv"))
        .header(
            "authorization",
            match &water {
                Auth::Bearer(t) => format!("Bearer {t}"),
                _ => unreachable!(),
            },
        )
        .body(axum::body::Body::from(big))
        .expect("request");
    let resp = tower::ServiceExt::oneshot(app, req)
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(
        p.store.versions(&p.entry_id).await.expect("versions").len(),
        1
    );
    let incoming: Vec<_> = std::fs::read_dir(p.data_dir.join("incoming"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        incoming.is_empty(),
        "spooled uploads are removed: {incoming:?}"
    );
    let parts = std::fs::read_dir(p.data_dir.join("datasets").join(&p.entry_id))
        .expect("dataset folder")
        .count();
    assert_eq!(parts, 1, "only the committed part stays");
    // Allowed by the uploader, the rows that pass become a version.
    let (status, _, text) = p
        .send(
            "POST",
            &format!("{path}?name=u.csv&max_rejected=50%25"),
            &water,
            Some(("text/csv", partial.into())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
}

#[tokio::test]
async fn a_multi_megabyte_upload_streams_past_the_json_body_limit() {
    let p = platform().await;
    let path = format!("/api/v1/catalog/{}/versions?name=big.csv", p.entry_id);
    let rows = 600_000;
    let mut csv = String::from("usage_m3\n");
    for i in 0..rows {
        csv.push_str(&format!("{}.5\n", i % 1000));
    }
    assert!(csv.len() > 3 << 20);
    let (status, _, body) = p
        .send("POST", &path, &p.auth("water"), Some(("text/csv", csv)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["rows"], rows);
}

#[tokio::test]
async fn the_authority_queries_current_versions_read_only_and_every_query_is_audited() {
    let p = platform().await;
    let upload = format!("/api/v1/catalog/{}/versions?name=u.csv", p.entry_id);
    for (body, mode) in [
        ("usage_m3\n1.5\n2\n", ""),
        ("usage_m3\n10\n", "&mode=append"),
    ] {
        let (status, _, text) = p
            .send(
                "POST",
                &format!("{upload}{mode}"),
                &p.auth("water"),
                Some(("text/csv", body.into())),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
    let table = p.entry_id.replace('-', "_");
    let sql = format!("SELECT SUM(usage_m3) AS total, COUNT(*) AS n FROM {table}");
    let codes = [401, 200, 403, 403, 403, 403, 403];
    for (i, caller) in CALLERS.iter().enumerate() {
        let (status, body) = p
            .json(
                "POST",
                "/api/v1/sql",
                &p.auth(caller),
                Some(json!({"sql": sql})),
            )
            .await;
        assert_eq!(status.as_u16(), codes[i], "{caller}: {body}");
        // Who may query may list what there is to query; nobody else.
        let (status, listed) = p
            .json("GET", "/api/v1/sql/tables", &p.auth(caller), None)
            .await;
        assert_eq!(status.as_u16(), codes[i], "{caller}: {listed}");
    }
    let admin = p.auth("admin");
    let (_, listed) = p.json("GET", "/api/v1/sql/tables", &admin, None).await;
    assert_eq!(
        listed["tables"],
        json!([{
            "table": table, "entry_id": p.entry_id, "title": listed["tables"][0]["title"],
            "version": 2, "rows": 3,
            "columns": [{"name": "usage_m3", "type": "decimal"}]
        }]),
        "{listed}"
    );
    let (_, result) = p
        .json("POST", "/api/v1/sql", &admin, Some(json!({"sql": sql})))
        .await;
    assert_eq!(result["columns"], json!(["total", "n"]));
    // The operators are there as SQL functions; the keyed ones are not (the server holds no key
    // for the authority's queries).
    let (status, masked) = p
        .json(
            "POST",
            "/api/v1/sql",
            &admin,
            Some(json!({"sql": "SELECT pd_mask('13812345678', 3, 4) AS m"})),
        )
        .await;
    assert_eq!(
        (status, &masked["rows"]),
        (StatusCode::OK, &json!([["138****5678"]])),
        "{masked}"
    );
    let (status, keyed) = p
        .json(
            "POST",
            "/api/v1/sql",
            &admin,
            Some(json!({"sql": "SELECT pd_pseudonymize('13812345678') AS p"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{keyed}");
    // Numbers as JSON numbers, with the columns' types.
    assert_eq!(result["types"], json!(["decimal", "integer"]));
    assert_eq!(
        result["rows"],
        json!([[13.5, 3]]),
        "both appended uploads count"
    );
    // Earlier versions stay readable by number, beside the current one.
    let (status, by_version) = p
        .json(
            "POST",
            "/api/v1/sql",
            &admin,
            Some(json!({"sql": format!(
                "SELECT v1.n AS first, cur.n AS now FROM (SELECT COUNT(*) AS n FROM {table}_v1) v1, \
                 (SELECT COUNT(*) AS n FROM {table}) cur"
            )})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_version}");
    assert_eq!(by_version["rows"], json!([[2, 3]]));
    let (status, refused) = p
        .json(
            "POST",
            "/api/v1/sql",
            &admin,
            Some(json!({"sql": format!("SELECT * FROM {table}_v9")})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no version 9");
    // In the platform's words, naming the table, not DataFusion's "datafusion.public...".
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("no dataset named {table}_v9"))
            && !message.contains("datafusion"),
        "{refused}"
    );
    // information_schema lists the tables the caller may read (with their columns), and only
    // those: no internal catalog of DataFusion's beyond its own views.
    let (status, listed) = p
        .json(
            "POST",
            "/api/v1/sql",
            &admin,
            Some(
                json!({"sql": "SELECT t.table_name, c.column_name, c.data_type \
                FROM information_schema.tables t JOIN information_schema.columns c \
                ON t.table_name = c.table_name WHERE t.table_schema = 'public' ORDER BY 1, 2"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed["rows"],
        json!([[table, "usage_m3", "Float64"]]),
        "{listed}"
    );
    let (_, limited) = p
        .json(
            "POST",
            "/api/v1/sql",
            &admin,
            Some(json!({"sql": format!("SELECT usage_m3 FROM {table}"), "limit": 2})),
        )
        .await;
    assert_eq!(
        (
            limited["rows"].as_array().map(Vec::len),
            &limited["truncated"]
        ),
        (Some(2), &json!(true))
    );
    for write in [
        format!("CREATE TABLE copy AS SELECT * FROM {table}"),
        format!("INSERT INTO {table} VALUES (1)"),
        format!("DROP TABLE {table}"),
        "SET datafusion.execution.batch_size = 1".to_string(),
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'".to_string(),
        "SELECT * FROM no_such_table".to_string(),
    ] {
        let (status, body) = p
            .json("POST", "/api/v1/sql", &admin, Some(json!({"sql": write})))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{write}: {body}");
    }
    let (_, audit) = p
        .json(
            "GET",
            "/api/v1/audit?action=dataset.query&limit=1000",
            &admin,
            None,
        )
        .await;
    let audit = audit.as_array().expect("entries");
    assert!(
        audit.iter().any(|e| e["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("[read: {table}=v2] {sql}"))
                && d.contains("[text sha256 "))
            && e["outcome"] == "success"),
        "the text and the version read: {audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|e| e["actor"] == "water" && e["outcome"] == "denied")
    );
    assert!(audit.iter().any(|e| e["outcome"] == "failed"));
}

#[tokio::test]
async fn an_address_nothing_serves_says_so_instead_of_an_empty_404() {
    let p = platform().await;
    let (status, body) = p
        .json("GET", "/api/v1/no-such-thing", &Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no_route", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("/api/v1/no-such-thing")),
        "{body}"
    );
    let (status, headers, page) = p.send("GET", "/no/such/page", &Auth::None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/html")),
        "{headers:?}"
    );
    assert!(
        page.contains("找不到这个页面") && page.contains("href=\"/\""),
        "{page}"
    );
    // A path that tries markup is shown as text.
    let (_, _, page) = p
        .send(
            "GET",
            "/%3Cscript%3Ealert(1)%3C/script%3E",
            &Auth::None,
            None,
        )
        .await;
    assert!(!page.contains("<script>alert"), "{page}");
}
