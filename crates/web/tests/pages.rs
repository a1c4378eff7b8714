//! The pages over HTTP: what each kind of visitor sees and may post.

mod common;

use axum::http::{StatusCode, header};
use common::{Auth, PASSWORD, platform};

/// A URL-encoded form. `("items", lines)` stands for the form's rows of data items, one line a
/// row: `name | label | type | grade | personal information | required`, posted as the page's
/// `item-<row>-<field>` fields.
fn form(pairs: &[(&str, &str)]) -> Option<(&'static str, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        if *k != "items" {
            fields.push((k.to_string(), v.to_string()));
            continue;
        }
        for (row, line) in v.lines().enumerate() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            for (cell, name) in cells.iter().zip(["name", "label", "type", "grade", "pi"]) {
                fields.push((format!("item-{row}-{name}"), cell.to_string()));
            }
            if cells.get(5) == Some(&"required") {
                fields.push((format!("item-{row}-required"), "on".into()));
            }
        }
    }
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    Some(("application/x-www-form-urlencoded", body))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn cookie(token: &str) -> Auth {
    Auth::Cookie {
        token: token.into(),
        csrf: None,
    }
}

#[tokio::test]
async fn anyone_sees_the_statistics_and_searches_the_catalog_with_text_escaped() {
    let p = platform().await;
    let mut hostile = common::entry("hz-water", "<script>alert(1)</script>供水");
    hostile.description = "\"><img src=x onerror=alert(2)>".into();
    p.store
        .create_entry(&hostile, "setup")
        .await
        .expect("entry");
    let (status, _, home) = p.send("GET", "/", &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("<b data-stat>2</b>目录条目"), "{home}");
    assert!(!home.contains("<script>alert"), "titles are escaped");
    let (status, _, list) = p
        .send("GET", "/catalog?q=%E4%BE%9B%E6%B0%B4", &Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("共 1 条"), "{list}");
    assert!(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;供水"));
    let id = p.entry_id.clone();
    let (status, _, page) = p
        .send("GET", &format!("/catalog/{id}"), &Auth::None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("usage_m3") && page.contains("hz-water"));
    // Who holds an entry is shown by name, and its name finds its entries.
    let water_name = p
        .store
        .organization("hz-water")
        .await
        .expect("the water company")
        .name;
    assert!(page.contains(&format!("<b>{water_name}</b>")), "{page}");
    assert!(list.contains(&format!(">{water_name}</a>")), "{list}");
    let (_, _, by_name) = p
        .send(
            "GET",
            &format!("/catalog?q={}", form_encode(&water_name)),
            &Auth::None,
            None,
        )
        .await;
    assert!(by_name.contains("共 2 条"), "{by_name}");
    let (status, _, _) = p.send("GET", "/catalog/e-missing", &Auth::None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn signing_in_sets_an_http_only_cookie_and_signing_out_ends_the_session() {
    let p = platform().await;
    let (status, _, page) = p
        .send(
            "POST",
            "/login",
            &Auth::None,
            form(&[("username", "water"), ("password", "wrong")]),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("用户名或密码错误"));
    let (status, headers, _) = p
        .send(
            "POST",
            "/login",
            &Auth::None,
            form(&[("username", "water"), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers[header::SET_COOKIE].to_str().expect("cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let token = set
        .strip_prefix("pubdata_session=")
        .and_then(|r| r.split(';').next())
        .expect("token")
        .to_string();
    let (_, _, home) = p.send("GET", "/", &cookie(&token), None).await;
    assert!(home.contains("water · 部门经办人"), "{home}");
    let holder = p.store.holder(&token).await.expect("lookup").expect("live");
    // Signing out needs the session's CSRF token: another site cannot sign a user out.
    let (status, _, _) = p
        .send("POST", "/logout", &cookie(&token), form(&[("csrf", "x")]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = p
        .send(
            "POST",
            "/logout",
            &cookie(&token),
            form(&[("csrf", &holder.csrf)]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(p.store.holder(&token).await.expect("lookup").is_none());
}

#[tokio::test]
async fn the_new_entry_form_is_for_those_who_may_create_and_checks_csrf_and_rules() {
    let p = platform().await;
    let (status, headers, _) = p.send("GET", "/catalog/new", &Auth::None, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login");
    let applicant = p.session("applicant").await;
    let (status, _, _) = p
        .send("GET", "/catalog/new", &cookie(&applicant.token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The link to the form is offered only to whom it would serve.
    let link = "href=\"/catalog/new\"";
    let (_, _, home) = p.send("GET", "/", &Auth::None, None).await;
    assert!(!home.contains(link), "offered to a visitor");
    assert!(
        home.contains("<footer>") && home.contains("href=\"/api/v1/openapi.json\""),
        "the footer links the API document: {home}"
    );
    let (_, _, home) = p.send("GET", "/", &cookie(&applicant.token), None).await;
    assert!(!home.contains(link), "offered to an applicant");

    let water = p.session("water").await;
    let (_, _, home) = p.send("GET", "/", &cookie(&water.token), None).await;
    assert!(home.contains(link), "not offered to the owner's officer");
    let (status, _, page) = p
        .send("GET", "/catalog/new", &cookie(&water.token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"hz-water\"") && !page.contains("value=\"hz-power\""));

    let fields = |csrf: &str, items: &str, open: &str| {
        form(&[
            ("csrf", csrf),
            ("title", "居民阶梯水价"),
            ("description", "按户统计"),
            ("owner", "hz-water"),
            ("update_cycle", "monthly"),
            ("sharing", "unconditional"),
            ("open", open),
            ("items", items),
        ])
    };
    let good = "account | 户号 | text | L2\nusage | 用水量 | decimal | L1 | | required";
    let (status, _, _) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&water.token),
            fields("forged", good, "unconditional"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let bad_line = "account | 户号 | text | L9";
    let (status, _, page) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&water.token),
            fields(&water.csrf, bad_line, "unconditional"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("data item row 1: grade: &quot;L9&quot; is not one of L1, L2, L3, L4"),
        "{page}"
    );
    let with_id = "id | 身份证号 | text | L3 | cn_resident_id";
    let (status, _, page) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&water.token),
            fields(&water.csrf, with_id, "unconditional"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("open: "), "the rule names its field: {page}");
    // Values typed in come back in the form.
    assert!(page.contains("value=\"居民阶梯水价\""));
    assert_eq!(p.store.stats().await.expect("stats").catalog_entries, 1);

    let (status, headers, _) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&water.token),
            fields(&water.csrf, good, "unconditional"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    let (_, _, page) = p.send("GET", &location, &Auth::None, None).await;
    assert!(page.contains("居民阶梯水价") && page.contains("用水量"));
    // An officer cannot post for another organization by editing the form.
    let power = p.session("power").await;
    let (status, _, _) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&power.token),
            fields(&power.csrf, good, "unconditional"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

fn multipart(csrf: Option<&str>, file_name: &str, content: &str) -> Option<(&'static str, String)> {
    let b = "----pubdataboundary";
    let mut body = String::new();
    if let Some(c) = csrf {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{c}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nappend\r\n"
    ));
    // These tests look at what happens to the rows: keep those that pass (the default refusal
    // of a file with a rejected row is the browser test's).
    body.push_str(&format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"max_rejected\"\r\n\r\nall\r\n"
    ));
    body.push_str(&format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{b}--\r\n"
    ));
    Some(("multipart/form-data; boundary=----pubdataboundary", body))
}

#[tokio::test]
async fn the_owners_officer_uploads_on_the_entry_page_and_others_see_what_they_may() {
    let p = platform().await;
    let page_of = |id: &str| format!("/catalog/{id}");
    let upload = format!("/catalog/{}/upload", p.entry_id);
    let water = p.session("water").await;
    let auditor = p.session("auditor").await;
    let applicant = p.session("applicant").await;

    let (_, _, page) = p
        .send("GET", &page_of(&p.entry_id), &cookie(&water.token), None)
        .await;
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("id=\"versions\""));
    let (_, _, page) = p
        .send("GET", &page_of(&p.entry_id), &cookie(&auditor.token), None)
        .await;
    assert!(!page.contains("enctype=\"multipart/form-data\"") && page.contains("id=\"versions\""));
    let (_, _, page) = p
        .send(
            "GET",
            &page_of(&p.entry_id),
            &cookie(&applicant.token),
            None,
        )
        .await;
    assert!(!page.contains("enctype") && !page.contains("id=\"versions\""));

    let (status, _, _) = p
        .send(
            "POST",
            &upload,
            &cookie(&water.token),
            multipart(None, "u.csv", "usage_m3\n1\n"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token, no upload");
    let (status, _, _) = p
        .send(
            "POST",
            &upload,
            &cookie(&applicant.token),
            multipart(Some(&applicant.csrf), "u.csv", "usage_m3\n1\n"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, page) = p
        .send(
            "POST",
            &upload,
            &cookie(&water.token),
            multipart(Some(&water.csrf), "u.csv", "meter\nM1\n"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"message\"") && page.contains("usage_m3"),
        "{page}"
    );
    assert!(
        p.store
            .versions(&p.entry_id)
            .await
            .expect("versions")
            .is_empty()
    );

    let mut big = String::from("usage_m3\n");
    for i in 0..400_000 {
        big.push_str(&format!("{}\n", i % 97));
    }
    let (status, headers, _) = p
        .send(
            "POST",
            &upload,
            &cookie(&water.token),
            multipart(Some(&water.csrf), "meters.csv", &big),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], page_of(&p.entry_id).as_str());
    let (_, _, page) = p
        .send("GET", &page_of(&p.entry_id), &cookie(&water.token), None)
        .await;
    assert!(
        page.contains("<td>400000</td>") && page.contains("meters.csv"),
        "{page}"
    );
    let (_, _, home) = p.send("GET", "/", &Auth::None, None).await;
    assert!(
        home.contains("<b data-stat>400000</b>归集记录"),
        "the statistics follow"
    );
}

#[tokio::test]
async fn the_owners_officer_edits_an_entry_on_its_page_and_a_stale_form_is_refused() {
    let p = platform().await;
    let edit = format!("/catalog/{}/edit", p.entry_id);
    let water = p.session("water").await;
    let power = p.session("power").await;
    let (_, _, page) = p
        .send(
            "GET",
            &format!("/catalog/{}", p.entry_id),
            &cookie(&water.token),
            None,
        )
        .await;
    assert!(page.contains("id=\"edit\""));
    let (_, _, page) = p
        .send(
            "GET",
            &format!("/catalog/{}", p.entry_id),
            &cookie(&power.token),
            None,
        )
        .await;
    assert!(!page.contains("id=\"edit\""));
    let (status, _, _) = p.send("GET", &edit, &cookie(&power.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, form_page) = p.send("GET", &edit, &cookie(&water.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form_page.contains("value=\"居民用水量\"")
            && form_page.contains("name=\"item-0-name\" value=\"usage_m3\"")
            && form_page.contains("<option value=\"decimal\" selected>数值</option>"),
        "{form_page}"
    );

    let fields = |csrf: &str, revision: &str, title: &str| {
        form(&[
            ("csrf", csrf),
            ("revision", revision),
            ("title", title),
            ("description", "按户统计"),
            ("owner", "hz-water"),
            ("update_cycle", "monthly"),
            ("sharing", "unconditional"),
            ("open", "unconditional"),
            ("items", "usage_m3 | 用水量 | decimal | L1 | | required"),
        ])
    };
    let (status, _, _) = p
        .send(
            "POST",
            &edit,
            &cookie(&water.token),
            fields("forged", "1", "改名"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = p
        .send(
            "POST",
            &edit,
            &cookie(&power.token),
            fields(&power.csrf, "1", "改名"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = p
        .send(
            "POST",
            &edit,
            &cookie(&water.token),
            fields(&water.csrf, "1", "居民月度用水量"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = p.store.entry(&p.entry_id).await.expect("entry");
    assert_eq!(
        (stored.entry.title.as_str(), stored.revision),
        ("居民月度用水量", 2)
    );
    let (status, _, page) = p
        .send(
            "POST",
            &edit,
            &cookie(&water.token),
            fields(&water.csrf, "1", "旧表单"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("changed since revision 1"), "{page}");
    assert_eq!(
        p.store.entry(&p.entry_id).await.expect("entry").entry.title,
        "居民月度用水量"
    );
}

#[tokio::test]
async fn the_audit_log_page_is_for_auditors_and_the_authority_and_filters() {
    let p = platform().await;
    for (user, expected) in [
        ("auditor", StatusCode::OK),
        ("admin", StatusCode::OK),
        ("water", StatusCode::FORBIDDEN),
        ("applicant", StatusCode::FORBIDDEN),
    ] {
        let s = p.session(user).await;
        let (status, _, _) = p.send("GET", "/audit", &cookie(&s.token), None).await;
        assert_eq!(status, expected, "{user}");
    }
    let (status, headers, _) = p.send("GET", "/audit", &Auth::None, None).await;
    assert_eq!(
        (status, headers[header::LOCATION].to_str().ok()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let s = p.session("auditor").await;
    let (_, _, page) = p
        .send("GET", "/audit?outcome=denied", &cookie(&s.token), None)
        .await;
    assert!(
        page.contains("<td>water</td><td>audit.read</td>"),
        "the refusal above is listed: {page}"
    );
    assert!(
        !page.contains("data-outcome=\"success\"") && page.contains("data-outcome=\"denied\""),
        "only refusals: {page}"
    );

    // Paged by links that keep the filters, not by a hint to edit the address.
    let (_, _, first) = p
        .send("GET", "/audit?limit=2", &cookie(&s.token), None)
        .await;
    let next = first
        .split("id=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a full page links to the next")
        .replace("&amp;", "&");
    assert!(
        next.contains("after=") && next.contains("limit=2"),
        "{next}"
    );
    let (status, _, second) = p.send("GET", &next, &cookie(&s.token), None).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert!(second.contains("« 第一页"), "{second}");
    let seqs = |page: &str| -> Vec<u64> {
        page.split("<tr><td>")
            .skip(1)
            .filter_map(|r| r.split('<').next()?.parse().ok())
            .collect()
    };
    let (a, b) = (seqs(&first), seqs(&second));
    assert_eq!(a.len(), 2, "{first}");
    assert!(
        !b.is_empty() && b.iter().all(|s| *s > a[1]),
        "{a:?} then {b:?}"
    );
    let (_, _, filtered) = p
        .send(
            "GET",
            "/audit?outcome=denied&limit=1",
            &cookie(&s.token),
            None,
        )
        .await;
    assert!(filtered.contains("outcome=denied"), "{filtered}");
}

/// A request and the status expected for each caller, in the order of `CALLERS`.
type Case<'a> = (&'a str, String, Option<(&'a str, String)>, [u16; 7]);

/// Every page route against every role, signed in with a browser session: the page, a redirect
/// (303: to the sign-in page for anonymous visitors, onwards after a change) or a refusal.
#[tokio::test]
async fn every_page_route_against_every_role() {
    let p = platform().await;
    let id = p.entry_id.clone();
    let mut sessions = vec![None];
    for caller in &common::CALLERS[1..] {
        sessions.push(Some(p.session(caller).await));
    }
    for (i, caller) in common::CALLERS.iter().enumerate() {
        let (auth, csrf) = match &sessions[i] {
            Some(s) => (cookie(&s.token), s.csrf.clone()),
            None => (Auth::None, String::new()),
        };
        let owner = match *caller {
            "power" => "hz-power",
            _ => "hz-water",
        };
        let revision = p
            .store
            .entry(&id)
            .await
            .expect("entry")
            .revision
            .to_string();
        let entry_form = |title: &str, revision: Option<&str>| {
            let mut pairs = vec![
                ("csrf", csrf.as_str()),
                ("title", title),
                ("description", "按户统计"),
                ("owner", owner),
                ("update_cycle", "monthly"),
                ("sharing", "unconditional"),
                ("open", "unconditional"),
                ("items", "usage_m3 | 用水量 | decimal | L1 | | required"),
            ];
            if let Some(r) = revision {
                pairs.push(("revision", r));
            }
            form(&pairs)
        };
        let new_title = format!("新条目{i}");
        let edited_title = format!("居民用水量{i}");
        let cases: Vec<Case> = vec![
            ("GET", "/".into(), None, [200; 7]),
            ("GET", "/catalog?q=%E6%B0%B4".into(), None, [200; 7]),
            ("GET", format!("/catalog/{id}"), None, [200; 7]),
            ("GET", "/catalog/e-missing".into(), None, [404; 7]),
            (
                "GET",
                "/catalog/new".into(),
                None,
                [303, 200, 200, 200, 403, 403, 403],
            ),
            (
                "POST",
                "/catalog/new".into(),
                entry_form(&new_title, None),
                [303, 303, 303, 303, 403, 403, 403],
            ),
            (
                "GET",
                format!("/catalog/{id}/edit"),
                None,
                [303, 200, 200, 403, 403, 403, 403],
            ),
            (
                "POST",
                format!("/catalog/{id}/edit"),
                entry_form(&edited_title, Some(&revision)),
                [303, 303, 303, 403, 403, 403, 403],
            ),
            (
                "POST",
                format!("/catalog/{id}/upload"),
                multipart(Some(&csrf), "u.csv", "usage_m3\n1.5\n"),
                [303, 403, 303, 403, 403, 403, 403],
            ),
            (
                "GET",
                "/audit".into(),
                None,
                [303, 200, 403, 403, 200, 403, 403],
            ),
            ("GET", "/login".into(), None, [200; 7]),
            (
                "POST",
                "/login".into(),
                form(&[("username", caller), ("password", "not the password")]),
                [401; 7],
            ),
            // Last, as it ends the session.
            ("POST", "/logout".into(), form(&[("csrf", &csrf)]), [303; 7]),
        ];
        for (method, path, body, codes) in cases {
            let (status, headers, page) = p.send(method, &path, &auth, body).await;
            assert_eq!(
                status.as_u16(),
                codes[i],
                "{caller} {method} {path}: {page}"
            );
            if i == 0 && status == StatusCode::SEE_OTHER && path != "/logout" {
                assert_eq!(headers[header::LOCATION], "/login", "{method} {path}");
            }
            if status == StatusCode::FORBIDDEN {
                assert!(
                    !page.contains("usage_m3 |") && !page.contains("name=\"csrf\""),
                    "a refusal shows no form: {caller} {method} {path}"
                );
            }
        }
        if let Some(s) = &sessions[i] {
            assert!(
                p.store.holder(&s.token).await.expect("lookup").is_none(),
                "{caller} signed out"
            );
        }
    }
    // What the pages changed is what the allowed callers asked for, and nothing else.
    let stats = p.store.stats().await.expect("stats");
    assert_eq!(
        stats.catalog_entries, 4,
        "the first entry and three created"
    );
    assert_eq!(
        stats.records_aggregated, 1,
        "one upload, by the owner's officer"
    );
    let entry = p.store.entry(&id).await.expect("entry");
    assert_eq!(
        entry.entry.title, "居民用水量2",
        "the water officer's edit is the last"
    );
    // Each refusal was audited with who asked.
    let denied = p
        .store
        .audit_entries(&pubdata_platform::store::AuditFilter {
            outcome: Some(pubdata_platform::audit::Outcome::Denied),
            ..Default::default()
        })
        .await
        .expect("audit");
    for (actor, action) in [
        ("power", "catalog.update"),
        ("auditor", "catalog.create"),
        ("admin", "dataset.ingest"),
        ("operator", "audit.read"),
    ] {
        assert!(
            denied
                .iter()
                .any(|e| e.record.actor == actor && e.record.action == action),
            "{actor} {action} refused and audited: {denied:?}"
        );
    }
}

#[tokio::test]
async fn sign_in_is_held_back_after_repeated_failures_and_refused_from_another_site() {
    let mut p = platform().await;
    let wrong = || form(&[("username", "water"), ("password", "not the password")]);
    for _ in 0..pubdata_platform::store::FREE_FAILURES {
        let (status, _, _) = p.send("POST", "/login", &Auth::None, wrong()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, on the page and through the API, and says how long.
    let right = || form(&[("username", "water"), ("password", PASSWORD)]);
    let (status, headers, page) = p.send("POST", "/login", &Auth::None, right()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(page.contains("登录失败次数过多"), "{page}");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&wait), "{wait}");
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/tokens",
            &Auth::None,
            Some(serde_json::json!({"username": "WATER", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("throttled"))
    );
    // Other users are not held back.
    let (status, _, _) = p
        .send(
            "POST",
            "/login",
            &Auth::None,
            form(&[("username", "power"), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Another site's form cannot sign a visitor in; the portal's own page can.
    let power = || form(&[("username", "power"), ("password", PASSWORD)]);
    for origin in [
        "https://evil.example",
        "null",
        "http://127.0.0.1:8080.evil.example",
    ] {
        let (status, headers, _) = p
            .send_with(
                "POST",
                "/login",
                &Auth::None,
                power(),
                &[("host", "127.0.0.1:8080"), ("origin", origin)],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "{origin}");
    }
    let (status, _, _) = p
        .send_with(
            "POST",
            "/login",
            &Auth::None,
            power(),
            &[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the browser says it is cross-site"
    );
    // Behind a proxy that rewrites Host, the forwarded host is the portal's.
    let (status, _, _) = p
        .send_with(
            "POST",
            "/login",
            &Auth::None,
            power(),
            &[
                ("host", "127.0.0.1:8080"),
                ("x-forwarded-host", "data.zj.gov.cn"),
                ("origin", "https://data.zj.gov.cn"),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, headers, _) = p
        .send_with(
            "POST",
            "/login",
            &Auth::None,
            power(),
            &[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers[header::SET_COOKIE].to_str().expect("cookie");
    assert!(!set.contains("Secure"), "plain HTTP by default: {set}");

    // Served over HTTPS, the cookie is Secure.
    p.app = pubdata_web::app(pubdata_web::AppState {
        secure_cookies: true,
        ..pubdata_web::AppState::new(
            p.store.clone(),
            pubdata_platform::ingest::local_storage(&p.data_dir).expect("location"),
        )
    });
    let (_, headers, _) = p.send("POST", "/login", &Auth::None, power()).await;
    let set = headers[header::SET_COOKIE].to_str().expect("cookie");
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
}

#[tokio::test]
async fn the_entry_page_shows_the_quality_report_without_the_rejected_values() {
    let p = platform().await;
    let upload = format!("/catalog/{}/upload", p.entry_id);
    let water = p.session("water").await;
    // Every row rejected: the upload is refused and its report shown on the page.
    let (status, _, page) = p
        .send(
            "POST",
            &upload,
            &cookie(&water.token),
            multipart(
                Some(&water.csrf),
                "u.csv",
                "usage_m3\nsecret-value-1\n\"\"\n",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("被拒绝的上传") && page.contains("id=\"examples\""),
        "{page}"
    );
    assert!(
        page.contains("不是数字 <span class=\"muted\">(not_decimal)</span>")
            && page.contains("必填项为空 <span class=\"muted\">(missing)</span>"),
        "{page}"
    );
    assert!(
        !page.contains("secret-value-1"),
        "a rejected value is never shown"
    );

    // Two uploads; the page reports the latest.
    for body in ["usage_m3\n1\n2\n", "usage_m3\n3\nlots\n\"\"\n4\n"] {
        let (status, _, _) = p
            .send(
                "POST",
                &upload,
                &cookie(&water.token),
                multipart(Some(&water.csrf), "u.csv", body),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let auditor = p.session("auditor").await;
    let (_, _, page) = p
        .send(
            "GET",
            &format!("/catalog/{}", p.entry_id),
            &cookie(&auditor.token),
            None,
        )
        .await;
    assert!(page.contains("版本 2 质量报告"), "{page}");
    assert!(
        page.contains("读入 <b>4</b> · 接受 <b>2</b> · 拒绝 <b>2</b>"),
        "{page}"
    );
    assert!(
        page.contains("<td>usage_m3</td><td>1</td><td>25.0%</td>"),
        "{page}"
    );
    assert!(!page.contains("lots"));
    // Those who may not read the data see no report.
    let applicant = p.session("applicant").await;
    let (status, _, page) = p
        .send(
            "GET",
            &format!("/catalog/{}", p.entry_id),
            &cookie(&applicant.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("usage_m3") && !page.contains("id=\"report\""));
}

#[tokio::test]
async fn markup_in_an_entry_is_shown_as_text_on_the_catalog_entry_and_edit_pages() {
    let p = platform().await;
    let mut hostile = common::entry("hz-water", "<script>alert(1)</script>\"'&标题");
    hostile.description = "\"'&<img src=x onerror=alert(2)>".into();
    hostile.items[0].name = "<b>\"'&x".into();
    hostile.items[0].label = "<script>alert(3)</script>\"'&".into();
    let stored = p
        .store
        .create_entry(&hostile, "setup")
        .await
        .expect("entry");
    let water = p.session("water").await;
    let pages = [
        format!("/catalog?q={}", urlencode("标题")),
        format!("/catalog/{}", stored.id),
        format!("/catalog/{}/edit", stored.id),
    ];
    for path in &pages {
        let (status, _, page) = p.send("GET", path, &cookie(&water.token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for raw in ["<script>alert", "<img", "<b>\"", "\"'&"] {
            assert!(!page.contains(raw), "{path} shows {raw} raw: {page}");
        }
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;标题"),
            "{path}: {page}"
        );
    }
    let (_, _, page) = p.send("GET", &pages[1], &cookie(&water.token), None).await;
    assert!(
        page.contains("&lt;b&gt;&quot;'&amp;x")
            && page.contains("&lt;script&gt;alert(3)&lt;/script&gt;")
            && page.contains("&quot;'&amp;&lt;img src=x onerror=alert(2)&gt;"),
        "{page}"
    );
    // In the edit form the values sit in attributes, escaped the same way.
    let (_, _, page) = p.send("GET", &pages[2], &cookie(&water.token), None).await;
    assert!(
        page.contains("value=\"&quot;'&amp;&lt;img src=x onerror=alert(2)&gt;\"")
            && page.contains("value=\"&lt;b&gt;&quot;'&amp;x\"")
            && page.contains("value=\"&lt;script&gt;alert(3)&lt;/script&gt;&quot;'&amp;\""),
        "{page}"
    );
}

#[tokio::test]
async fn a_form_that_does_not_read_gets_the_error_page_not_a_plain_text_rejection() {
    let p = platform().await;
    let water = p.session("water").await;
    let edit = format!("/catalog/{}/edit", p.entry_id);
    let cases = [
        // The revision the page writes is a number; a hand-made one that is not is refused.
        (
            "POST",
            edit.clone(),
            form(&[("csrf", &water.csrf), ("revision", "first"), ("title", "x")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "revision",
        ),
        // A form posted as something other than a form.
        (
            "POST",
            "/catalog/new".to_string(),
            Some(("text/plain", "title=x".to_string())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
        ),
        (
            "POST",
            "/login".to_string(),
            Some(("application/json", "{}".to_string())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
        ),
        (
            "GET",
            "/audit?outcome=maybe".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "maybe",
        ),
        (
            "GET",
            "/audit?after=last".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "after",
        ),
    ];
    let auditor = p.session("auditor").await;
    for (method, path, body, status, names) in cases {
        let who = if path.starts_with("/audit") {
            &auditor
        } else {
            &water
        };
        let (got, headers, page) = p.send(method, &path, &cookie(&who.token), body).await;
        assert_eq!(got, status, "{method} {path}: {page}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/html")),
            "{method} {path}: {headers:?}"
        );
        assert!(
            page.contains("<p class=\"error\">") && page.contains(names),
            "{method} {path}: {page}"
        );
    }
    // Fields left out of an entry form are named in the form, which comes back filled in.
    let (status, _, page) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&water.token),
            form(&[("csrf", &water.csrf), ("title", "只有标题")]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("id=\"errors\"") && page.contains("value=\"只有标题\""),
        "{page}"
    );
}

/// `text` percent-encoded for a query string.
fn form_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Issue 15: the pages are Chinese first, English on request (the browser's languages, or the
/// switch, remembered in a cookie), with values in words and times in the platform's zone.
#[tokio::test]
async fn pages_speak_chinese_first_english_on_request_and_remember_the_choice() {
    let p = platform().await;
    let entry = format!("/catalog/{}", p.entry_id);
    let (_, _, zh) = p.send("GET", &entry, &Auth::None, None).await;
    assert!(
        zh.contains("<html lang=\"zh-CN\">")
            && zh.contains("杭州市水务集团")
            && zh.contains("无条件共享")
            && zh.contains("每月")
            && !zh.contains("unconditional")
            && !zh.contains("Monthly"),
        "{zh}"
    );
    let english = [("accept-language", "en-GB,en;q=0.9,zh;q=0.5")];
    let (_, _, en) = p
        .send_with("GET", &entry, &Auth::None, None, &english)
        .await;
    assert!(
        en.contains("<html lang=\"en\">")
            && en.contains("Update cycle")
            && en.contains("Monthly")
            && !en.contains("每月"),
        "{en}"
    );
    // The switch offers the other language and comes back to the same page.
    assert!(zh.contains(&format!(
        "href=\"/lang?to=en&amp;back=%2Fcatalog%2F{}\"",
        p.entry_id
    )));
    let (status, headers, _) = p
        .send(
            "GET",
            &format!("/lang?to=en&back={entry}"),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], entry.as_str());
    let set = headers[header::SET_COOKIE].to_str().expect("cookie");
    assert!(set.starts_with("pubdata_lang=en;"), "{set}");
    // The remembered choice wins over the browser's languages.
    let (_, _, chosen) = p
        .send_with(
            "GET",
            "/catalog",
            &Auth::None,
            None,
            &[("cookie", "pubdata_lang=en"), ("accept-language", "zh-CN")],
        )
        .await;
    assert!(chosen.contains("Public data catalog"), "{chosen}");
    // Only back to this site.
    for away in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let (_, headers, _) = p
            .send(
                "GET",
                &format!("/lang?to=zh&back={}", form_encode(away)),
                &Auth::None,
                None,
            )
            .await;
        assert_eq!(headers[header::LOCATION], "/", "{away}");
    }
    // A language the pages do not have is the error page, in the visitor's language.
    let (status, _, refused) = p
        .send_with("GET", "/lang?to=fr&back=/", &Auth::None, None, &english)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused.contains("<p class=\"error\">to: &quot;fr&quot; is not a language")
            && refused.contains("Back to the home page"),
        "{refused}"
    );
    // Error pages speak the visitor's language too.
    let (status, _, missing) = p
        .send_with("GET", "/no/such/page", &Auth::None, None, &english)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page not found"), "{missing}");
}

#[tokio::test]
async fn times_are_shown_in_the_platform_time_zone() {
    let p = platform().await;
    let auditor = p.session("auditor").await;
    let (_, _, page) = p.send("GET", "/audit", &cookie(&auditor.token), None).await;
    // Each time keeps its stored UTC value for machines and shows Beijing time to people.
    let at = page.find("<time datetime=\"").expect("a time");
    let rest = &page[at + "<time datetime=\"".len()..];
    let (stored, rest) = rest.split_once("\">").expect("attribute");
    let shown = &rest[..rest.find("</time>").expect("end")];
    let utc = chrono::DateTime::parse_from_rfc3339(stored).expect("rfc 3339");
    let beijing = utc + chrono::Duration::hours(8);
    assert_eq!(shown, beijing.format("%Y-%m-%d %H:%M:%S").to_string());
    assert!(page.contains("Asia/Shanghai"), "the footer names the zone");
}

/// Issue 15: data items are rows of inputs, one more on "add a row", no script; keys and
/// required flags survive an edit.
#[tokio::test]
async fn the_entry_form_adds_item_rows_without_a_script_and_keeps_every_flag() {
    let p = platform().await;
    let water = p.session("water").await;
    let (_, _, page) = p
        .send("GET", "/catalog/new", &cookie(&water.token), None)
        .await;
    let rows = |page: &str| page.matches("<tr class=\"item\">").count();
    assert_eq!(rows(&page), 3, "a new form starts with three rows");
    assert!(!page.contains("<script"), "no script");
    let typed = [
        ("csrf", water.csrf.as_str()),
        ("title", "水表"),
        ("owner", "hz-water"),
        ("update_cycle", "daily"),
        ("sharing", "unconditional"),
        ("open", "unconditional"),
        ("item-0-name", "meter"),
        ("item-0-label", "水表号"),
        ("item-0-type", "text"),
        ("item-0-grade", "L2"),
        ("item-0-key", "on"),
        ("item-1-name", "reading"),
        ("item-1-label", "读数"),
        ("item-1-type", "decimal"),
        ("item-1-grade", "L1"),
        ("item-1-required", "on"),
        ("item-2-name", ""),
        ("item-2-label", ""),
        ("item-2-type", "text"),
        ("item-2-grade", "L1"),
    ];
    let mut more = typed.to_vec();
    more.push(("more", "1"));
    let (status, _, page) = p
        .send("POST", "/catalog/new", &cookie(&water.token), form(&more))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "nothing is saved: the form comes back"
    );
    assert_eq!(
        rows(&page),
        4,
        "the two filled rows, the blank one, one more"
    );
    assert!(page.contains("value=\"水表号\"") && page.contains("value=\"读数\""));
    assert_eq!(p.store.stats().await.expect("stats").catalog_entries, 1);
    let (status, headers, page) = p
        .send("POST", "/catalog/new", &cookie(&water.token), form(&typed))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let id = headers[header::LOCATION]
        .to_str()
        .expect("location")
        .trim_start_matches("/catalog/")
        .to_string();
    let stored = p.store.entry(&id).await.expect("entry").entry;
    let flags: Vec<(&str, bool, bool)> = stored
        .items
        .iter()
        .map(|i| (i.name.as_str(), i.key, i.required))
        .collect();
    assert_eq!(flags, [("meter", true, false), ("reading", false, true)]);
    // The edit form shows the flags, so saving it unchanged keeps them.
    let (_, _, edit) = p
        .send(
            "GET",
            &format!("/catalog/{id}/edit"),
            &cookie(&water.token),
            None,
        )
        .await;
    assert!(
        edit.contains("name=\"item-0-key\" checked")
            && edit.contains("name=\"item-1-required\" checked"),
        "{edit}"
    );
    // A field the page does not write is refused by name.
    let (status, _, page) = p
        .send(
            "POST",
            "/catalog/new",
            &cookie(&water.token),
            form(&[("csrf", &water.csrf), ("item-5000-name", "x")]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("item-5000-name"), "{page}");
}

#[tokio::test]
async fn the_footer_shows_who_runs_the_portal_when_configured() {
    let mut p = platform().await;
    let (_, _, plain) = p.send("GET", "/", &Auth::None, None).await;
    assert!(!plain.contains("id=\"contact\"") && !plain.contains("id=\"terms\""));
    p.app = pubdata_web::app(pubdata_web::AppState {
        site: std::sync::Arc::new(pubdata_web::SiteInfo {
            contact: Some("0571-12345 <b>".into()),
            terms_url: Some("/terms.html".into()),
        }),
        ..pubdata_web::AppState::new(
            p.store.clone(),
            pubdata_platform::ingest::local_storage(&p.data_dir).expect("location"),
        )
    });
    let (_, _, page) = p.send("GET", "/catalog", &Auth::None, None).await;
    assert!(
        page.contains("<span id=\"contact\">联系我们： 0571-12345 &lt;b&gt;</span>")
            && page.contains("<a id=\"terms\" href=\"/terms.html\">使用条款</a>"),
        "{page}"
    );
}
