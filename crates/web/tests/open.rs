//! Opening over HTTP: a department publishes a release of a version whose values hold phone
//! numbers and names the catalog does not declare; the opening rules refuse it in the clear and
//! accept it de-identified; the portal, the downloads, the CKAN adapter and DCAT serve the
//! release and never the raw version; a withdrawn release is no longer served; a restricted
//! entry shows its metadata and no row; and every route refuses whom it must.

mod common;

use common::{Auth, CALLERS, Platform, platform};
use pubdata_platform::catalog::{
    CatalogEntry, DataItem, DataType, OpenAttribute, SecurityGrade, SharingAttribute, UpdateCycle,
};
use serde_json::{Value, json};
use sha2::Digest;

/// Rows whose contacts and remarks identify people; the catalog calls them plain text.
const ROWS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "M-0001",
        "13812345678",
        "张伟来电，回拨13812345678",
        "330106",
        "12.5",
    ),
    ("M-0002", "13987654321", "王芳反映水压低", "330106", "8"),
    ("M-0003", "15011112222", "无", "330105", "3.25"),
    ("M-0004", "18600001111", "李娜要求上门抄表", "330105", "30"),
];

/// What must never leave through a public door: every raw contact and name, and the meters
/// (an item the catalog keeps closed).
fn raw_values() -> Vec<&'static str> {
    let mut v: Vec<&str> = ROWS.iter().flat_map(|r| [r.0, r.1]).collect();
    v.extend(["张伟", "王芳", "李娜"]);
    v
}

const POLICY: &str = r#"version = 1
[columns.meter]
op = "keep"
[columns.contact]
op = "mask"
keep_first = 3
keep_last = 0
[columns.remarks]
op = "redact"
[columns.district]
op = "keep"
[columns.usage_m3]
op = "keep"
"#;

fn item(name: &str, label: &str, data_type: DataType, open: bool) -> DataItem {
    DataItem {
        name: name.into(),
        label: label.into(),
        data_type,
        personal_info: None,
        grade: SecurityGrade::L2,
        required: false,
        key: false,
        open,
    }
}

fn entry(title: &str, open: OpenAttribute) -> CatalogEntry {
    CatalogEntry {
        title: title.into(),
        description: "用水户联系与用水记录".into(),
        owner: "hz-water".into(),
        items: vec![
            item("meter", "水表号", DataType::Text, false),
            item("contact", "联系电话", DataType::Text, true),
            item("remarks", "备注", DataType::Text, true),
            item("district", "区县", DataType::Text, true),
            item("usage_m3", "用水量", DataType::Decimal, true),
        ],
        update_cycle: UpdateCycle::Monthly,
        sharing: SharingAttribute::Conditional,
        sharing_reason: Some("含个人信息".into()),
        open_reason: (open != OpenAttribute::Unconditional).then(|| "含个人信息".into()),
        theme: None,
        open,
    }
}

async fn upload(p: &Platform, id: &str) {
    let mut csv = String::from("meter,contact,remarks,district,usage_m3\n");
    for r in ROWS {
        csv.push_str(&format!("{},{},{},{},{}\n", r.0, r.1, r.2, r.3, r.4));
    }
    let (status, _, body) = p
        .send(
            "POST",
            &format!("/api/v1/catalog/{id}/versions?name=meters.csv"),
            &p.auth("water"),
            Some(("text/csv", csv)),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
}

async fn wait_for_end(p: &Platform, id: &str) -> Value {
    for _ in 0..600 {
        let (status, job) = p
            .json("GET", &format!("/api/v1/jobs/{id}"), &p.auth("water"), None)
            .await;
        assert_eq!(status.as_u16(), 200, "{job}");
        if ["succeeded", "failed", "cancelled"].contains(&job["state"].as_str().unwrap_or("")) {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {id} did not end in 60 s");
}

async fn store_policy(p: &Platform, name: &str, kind: &str, text: &str) -> String {
    let body = json!({"name": name, "kind": kind, "text": text, "owner": "hz-water"});
    let (status, policy) = p
        .json("POST", "/api/v1/policies", &p.auth("water"), Some(body))
        .await;
    assert_eq!(status.as_u16(), 201, "{policy}");
    policy["id"].as_str().expect("id").to_string()
}

async fn publish(p: &Platform, caller: &str, id: &str, body: Value) -> (u16, Value) {
    let (status, job) = p
        .json(
            "POST",
            &format!("/api/v1/catalog/{id}/releases"),
            &p.auth(caller),
            Some(body),
        )
        .await;
    (status.as_u16(), job)
}

/// An open entry with a version, and the policy id that de-identifies it.
async fn setup() -> (Platform, String, String) {
    let mut p = platform().await;
    p.start_workers(1);
    let e = p
        .store
        .create_entry(
            &entry("用水户联系记录", OpenAttribute::Unconditional),
            "setup",
        )
        .await
        .expect("entry");
    upload(&p, &e.id).await;
    let (status, policy) = p
        .json(
            "POST",
            "/api/v1/policies",
            &p.auth("water"),
            Some(json!({"name": "meters", "kind": "deid", "text": POLICY, "owner": "hz-water"})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{policy}");
    let policy = policy["id"].as_str().expect("id").to_string();
    (p, e.id, policy)
}

/// Publishes with the policy and returns the release as the API lists it.
async fn published(p: &Platform, id: &str, policy: &str) -> Value {
    let (status, job) = publish(p, "water", id, json!({"policy": policy})).await;
    assert_eq!(status, 202, "{job}");
    let job = wait_for_end(p, job["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &Auth::None,
            None,
        )
        .await;
    list[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_refuses_identifiers_in_the_clear_and_publishes_the_de_identified_version() {
    let (p, id, policy) = setup().await;

    // Who may publish: the holder's officer and the authority; nobody else.
    let codes = [401, 202, 202, 403, 403, 403, 403];
    let mut jobs = Vec::new();
    for (caller, code) in CALLERS.iter().zip(codes) {
        let (status, job) = publish(&p, caller, &id, json!({})).await;
        assert_eq!(status, code, "{caller} publishes: {job}");
        if status == 202 {
            jobs.push(job["id"].as_str().expect("id").to_string());
        }
    }
    // As catalogued (no policy): the scan finds the phone numbers and names in the values,
    // which the catalog calls plain text, and the rules refuse before a row is written.
    for j in &jobs {
        let job = wait_for_end(&p, j).await;
        assert_eq!(job["state"], "failed", "{job}");
        let error = job["error"].as_str().unwrap_or("");
        assert!(
            error.contains("\"contact\" (cn_mobile)") && error.contains("\"remarks\""),
            "{error}"
        );
    }
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(list, json!([]), "a refused release is not recorded");
    let (status, _) = p
        .json("GET", &format!("/open/{id}"), &Auth::None, None)
        .await;
    assert_eq!(
        status.as_u16(),
        404,
        "nothing is on the portal before a release"
    );

    // A policy that keeps the remarks in the clear is refused the same way.
    let half = POLICY.replace(
        "[columns.remarks]\nop = \"redact\"",
        "[columns.remarks]\nop = \"keep\"",
    );
    let (_, stored) = p
        .json(
            "POST",
            "/api/v1/policies",
            &p.auth("water"),
            Some(json!({"name": "half", "kind": "deid", "text": half, "owner": "hz-water"})),
        )
        .await;
    let (_, job) = publish(&p, "water", &id, json!({"policy": stored["id"]})).await;
    let job = wait_for_end(&p, job["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"].as_str().unwrap_or("").contains("\"remarks\""),
        "{job}"
    );

    // De-identified: published, numbered, with hashes; the closed item is left out although
    // the policy keeps it.
    let r = published(&p, &id, &policy).await;
    assert_eq!(r["number"], 1, "{r}");
    assert_eq!(r["audience"], "public");
    assert_eq!(r["rows"], 4);
    assert_eq!(
        r["columns"],
        json!(["contact", "remarks", "district", "usage_m3"])
    );
    assert_eq!(r["output_sha256"].as_str().map(str::len), Some(64));
    assert!(
        r.get("object").is_none(),
        "the server's object key is not shown: {r}"
    );

    // Publishing a prohibited entry, or a version that does not exist, is refused at once.
    let (status, body) = publish(&p, "water", &id, json!({"version": 7})).await;
    assert_eq!(status, 422, "{body}");
    let prohibited = p
        .store
        .create_entry(&entry("禁止开放", OpenAttribute::Prohibited), "setup")
        .await
        .expect("entry");
    let (status, body) = publish(&p, "water", &prohibited.id, json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "opening_rules");
    let (status, body) = publish(&p, "water", "e-nope", json!({})).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_the_release_byte_for_byte_with_range_and_etag_on_parquet() {
    let (p, id, policy) = setup().await;
    let r = published(&p, &id, &policy).await;
    let base = format!("/open/{id}/releases/1");

    // Parquet: the object itself, whose SHA-256 is the release's and its ETag.
    let (status, headers, parquet) = p.bytes("GET", &format!("{base}/data.parquet"), &[]).await;
    assert_eq!(status.as_u16(), 200);
    let digest = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&parquet));
    assert_eq!(Some(digest.as_str()), r["output_sha256"].as_str());
    let etag = headers["etag"].to_str().expect("etag").to_string();
    assert_eq!(etag, format!("\"{digest}\""));
    assert_eq!(headers["accept-ranges"], "bytes");
    let (status, _, _) = p
        .bytes(
            "GET",
            &format!("{base}/data.parquet"),
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(status.as_u16(), 304);
    // The footer, as a remote Parquet reader asks for it.
    let (status, headers, tail) = p
        .bytes(
            "GET",
            &format!("{base}/data.parquet"),
            &[("range", "bytes=-8")],
        )
        .await;
    assert_eq!(status.as_u16(), 206);
    assert_eq!(tail, parquet[parquet.len() - 8..]);
    assert_eq!(&tail[4..], b"PAR1");
    assert_eq!(
        headers["content-range"].to_str().expect("range"),
        format!(
            "bytes {}-{}/{}",
            parquet.len() - 8,
            parquet.len() - 1,
            parquet.len()
        )
    );
    let (status, _, middle) = p
        .bytes(
            "GET",
            &format!("{base}/data.parquet"),
            &[("range", "bytes=4-9")],
        )
        .await;
    assert_eq!((status.as_u16(), middle.as_slice()), (206, &parquet[4..10]));
    let (status, _, _) = p
        .bytes(
            "GET",
            &format!("{base}/data.parquet"),
            &[("range", &format!("bytes={}-", parquet.len()))],
        )
        .await;
    assert_eq!(status.as_u16(), 416);

    // CSV: UTF-8 with a byte-order mark, the released columns, the masked values.
    let (status, headers, csv) = p.bytes("GET", &format!("/open/{id}/data.csv"), &[]).await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "no byte-order mark");
    let text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "contact,remarks,district,usage_m3");
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[1].starts_with("138********,"), "{text}");

    // JSON Lines: one object per row, numbers as numbers.
    let (status, _, jsonl) = p.bytes("GET", &format!("/open/{id}/data.jsonl"), &[]).await;
    assert_eq!(status.as_u16(), 200);
    let rows: Vec<Value> = String::from_utf8(jsonl)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3]["usage_m3"], json!(30.0));
    assert_eq!(rows[0]["district"], "330106");

    // XLSX: a workbook whose sheet holds the released rows, numbers as numbers.
    let (status, headers, xlsx) = p.bytes("GET", &format!("/open/{id}/data.xlsx"), &[]).await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .contains("spreadsheetml")
    );
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("data.xlsx");
    std::fs::write(&file, &xlsx).expect("write");
    let read: Vec<_> = pubdata_tables::open(&file, &Default::default())
        .expect("an XLSX the table reader opens")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(read.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
    assert_eq!(
        read[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>(),
        ["contact", "remarks", "district", "usage_m3"]
    );
    let (status, _, _) = p.bytes("GET", &format!("/open/{id}/data.xml"), &[]).await;
    assert_eq!(status.as_u16(), 404);
    let (status, _, _) = p
        .bytes("GET", &format!("/open/{id}/releases/2/data.csv"), &[])
        .await;
    assert_eq!(status.as_u16(), 404);

    // Counted: four whole downloads (not the 304, the ranges or the refusals).
    let d = p.store.open_dataset(&id).await.expect("dataset");
    assert_eq!(
        d.counts.downloads, 4,
        "parquet, csv, jsonl and xlsx: {:?}",
        d.counts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_public_route_serves_the_raw_version() {
    let (p, id, policy) = setup().await;
    let r = published(&p, &id, &policy).await;
    let rid = r["id"].as_str().expect("id").to_string();
    let routes = vec![
        "/open".to_string(),
        format!("/open?q={}", "用水"),
        format!("/open/{id}"),
        format!("/open/{id}/data.csv"),
        format!("/open/{id}/data.jsonl"),
        format!("/open/{id}/data.parquet"),
        format!("/open/{id}/data.xlsx"),
        format!("/open/{id}/releases/1/data.csv"),
        "/api/3/action/package_list".to_string(),
        "/api/3/action/package_search?q=用水".to_string(),
        format!("/api/3/action/package_show?id={id}"),
        format!("/api/3/action/resource_show?id={rid}-csv"),
        format!("/api/3/action/datastore_search?resource_id={rid}-csv"),
        format!("/api/3/action/datastore_search?resource_id={rid}-csv&records_format=csv"),
        format!("/api/3/action/datastore_search?resource_id={rid}-csv&q=138"),
        "/catalog.jsonld".to_string(),
        "/catalog.ttl".to_string(),
        format!("/dataset/{id}.jsonld"),
        format!("/dataset/{id}.ttl"),
        format!("/api/v1/catalog/{id}/releases"),
    ];
    for route in &routes {
        let (status, _, body) = p.bytes("GET", &encode(route), &[]).await;
        assert_eq!(status.as_u16(), 200, "{route}");
        let text = String::from_utf8_lossy(&body);
        for raw in raw_values() {
            assert!(!text.contains(raw), "{route} serves the raw value {raw:?}");
        }
    }
    // The raw version itself has no public address.
    for route in [
        format!("/api/v1/catalog/{id}/versions/1/data"),
        format!("/api/3/action/datastore_search?resource_id={id}"),
        format!("/open/{id}/versions/1/data.csv"),
    ] {
        let (status, _, body) = p.bytes("GET", &encode(&route), &[]).await;
        assert!(
            matches!(status.as_u16(), 401 | 404 | 405),
            "{route}: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// Percent-encodes the non-ASCII characters of a test's route.
fn encode(route: &str) -> String {
    route
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                let mut b = [0u8; 4];
                c.encode_utf8(&mut b)
                    .bytes()
                    .map(|x| format!("%{x:02X}"))
                    .collect()
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_release_is_no_longer_served_but_stays_in_the_record() {
    let (p, id, policy) = setup().await;
    let r = published(&p, &id, &policy).await;
    let rid = r["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/releases/{rid}/withdraw");
    let codes = [401, 0, 0, 403, 403, 403, 403];
    for (caller, code) in CALLERS.iter().zip(codes).filter(|(_, c)| *c != 0) {
        let (status, body) = p
            .json("POST", &path, &p.auth(caller), Some(json!({"reason": "x"})))
            .await;
        assert_eq!(status.as_u16(), code, "{caller} withdraws: {body}");
    }
    let (status, body) = p
        .json(
            "POST",
            &path,
            &p.auth("water"),
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "a reason is required: {body}");
    let (status, body) = p
        .json(
            "POST",
            &path,
            &p.auth("water"),
            Some(json!({"reason": "联系电话脱敏规则有误"})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body["withdrawn"]["reason"], "联系电话脱敏规则有误");
    let (status, _) = p
        .json(
            "POST",
            &path,
            &p.auth("admin"),
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(status.as_u16(), 409);
    for route in [
        format!("/open/{id}/releases/1/data.parquet"),
        format!("/open/{id}/data.csv"),
        format!("/open/{id}"),
        format!("/api/3/action/package_show?id={id}"),
        format!("/api/3/action/datastore_search?resource_id={rid}-csv"),
    ] {
        let (status, _, _) = p.bytes("GET", &route, &[]).await;
        assert_eq!(status.as_u16(), 404, "{route} after withdrawal");
    }
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(
        list[0]["withdrawn"]["by"], "hz-water",
        "the public sees the holder, not the officer: {list}"
    );
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &p.auth("auditor"),
            None,
        )
        .await;
    assert_eq!(list[0]["withdrawn"]["by"], "water", "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_entry_shows_its_metadata_and_never_a_row() {
    let (p, _, _) = setup().await;
    let e = p
        .store
        .create_entry(&entry("用水户档案", OpenAttribute::Restricted), "setup")
        .await
        .expect("entry");
    upload(&p, &e.id).await;
    let (status, _, page) = p
        .send("GET", &format!("/open/{}", e.id), &Auth::None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert!(page.contains("id=\"apply\""), "no way to apply");
    assert!(!page.contains("id=\"downloads\"") && !page.contains("id=\"preview\""));
    for raw in raw_values() {
        assert!(!page.contains(raw), "{raw}");
    }
    let (status, body) = p
        .json(
            "GET",
            &format!("/api/3/action/package_show?id={}", e.id),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(body["result"]["resources"], json!([]));
    assert_eq!(body["result"]["license_id"], "other-closed");
    let (status, _, _) = p
        .bytes("GET", &format!("/open/{}/data.csv", e.id), &[])
        .await;
    assert_eq!(status.as_u16(), 404);
    // Without de-identification a restricted release is refused before anything is queued.
    let (status, body) = publish(&p, "water", &e.id, json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "opening_rules");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_searches_facets_and_counts_views() {
    let (p, id, policy) = setup().await;
    published(&p, &id, &policy).await;
    let (status, _, page) = p.send("GET", "/open", &Auth::None, None).await;
    assert_eq!(status.as_u16(), 200);
    assert!(page.contains("用水户联系记录"));
    assert!(page.contains("data-facet=\"organization\""));
    let (_, _, page) = p
        .send("GET", &encode("/open?q=不存在的词"), &Auth::None, None)
        .await;
    assert!(!page.contains("用水户联系记录"));
    let (_, _, page) = p
        .send("GET", "/open?organization=hz-power", &Auth::None, None)
        .await;
    assert!(!page.contains("用水户联系记录"));
    let (status, _, page) = p
        .send("GET", &format!("/open/{id}"), &Auth::None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        page.contains("id=\"preview\"") && page.contains("138********"),
        "{page}"
    );
    assert!(page.contains("data.parquet") && page.contains("id=\"citation\""));
    assert!(
        page.contains("id=\"quality\"") && page.contains("读入 4 行"),
        "{page}"
    );
    let (_, stats) = p.json("GET", "/api/v1/stats", &p.auth("admin"), None).await;
    assert_eq!(stats["open_datasets"], 1, "{stats}");
    assert_eq!(stats["open_data_items"], 4, "{stats}");
    let d = p.store.open_dataset(&id).await.expect("dataset");
    assert_eq!(d.counts.views, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_data_is_released_through_an_anonymization_for_grants_and_never_served() {
    let (p, _, _) = setup().await;
    let mut e = entry("用水户分区记录", OpenAttribute::Restricted);
    // The district locates people: a quasi-identifier, by the catalog's word.
    e.items[3].personal_info = Some(pubdata_detect::PiiType::Address);
    let e = p.store.create_entry(&e, "setup").await.expect("entry");
    upload(&p, &e.id).await;
    // De-identified value by value, the district kept: refused, it needs an anonymization.
    let deid = store_policy(&p, "districts kept", "deid", POLICY).await;
    let (_, job) = publish(&p, "water", &e.id, json!({"policy": deid})).await;
    let job = wait_for_end(&p, job["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"]
            .as_str()
            .unwrap_or("")
            .contains("anonymization"),
        "{job}"
    );
    // An anonymization that meets k = 2: released, for grants only.
    let anonymize = "[anonymize]\ndrop = [\"meter\", \"contact\", \"remarks\"]\nkeep = [\"usage_m3\"]\n\
                     quasi_identifiers = [{ column = \"district\", hierarchy = { masking = [4, 2] } }]\n\
                     [anonymize.requirements]\nk = 2\n";
    let anon = store_policy(&p, "k2 districts", "anonymize", anonymize).await;
    let (status, job) = publish(&p, "water", &e.id, json!({"policy": anon})).await;
    assert_eq!(status, 202, "{job}");
    let job = wait_for_end(&p, job["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{}/releases", e.id),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(list[0]["audience"], "grants", "{list}");
    assert_eq!(list[0]["columns"], json!(["district", "usage_m3"]));
    assert_eq!(list[0]["rows"], 4);
    // Never served to the public, by any door.
    let rid = list[0]["id"].as_str().expect("id");
    for route in [
        format!("/open/{}/releases/1/data.csv", e.id),
        format!("/open/{}/releases/1/data.parquet", e.id),
        format!("/open/{}/data.jsonl", e.id),
        format!("/api/3/action/datastore_search?resource_id={rid}-csv"),
        format!("/api/3/action/resource_show?id={rid}-parquet"),
    ] {
        let (status, _, _) = p.bytes("GET", &route, &[]).await;
        assert_eq!(status.as_u16(), 404, "{route}");
    }
    let (_, show) = p
        .json(
            "GET",
            &format!("/api/3/action/package_show?id={}", e.id),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(show["result"]["resources"], json!([]), "{show}");
    let (_, _, ttl) = p
        .send("GET", &format!("/dataset/{}.ttl", e.id), &Auth::None, None)
        .await;
    assert!(
        ttl.contains("restricted public") && !ttl.contains("Distribution"),
        "{ttl}"
    );
}

fn form(pairs: &[(&str, &str)]) -> Option<(&'static str, String)> {
    let body = serde_urlencoded::to_string(pairs).expect("form");
    Some(("application/x-www-form-urlencoded", body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_publishes_and_withdraws_from_the_entry_page() {
    let (p, id, policy) = setup().await;
    let water = p.session("water").await;
    let cookie = Auth::Cookie {
        token: water.token.clone(),
        csrf: None,
    };
    let (status, _, page) = p
        .send("GET", &format!("/catalog/{id}"), &cookie, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        page.contains("id=\"publish\"") && page.contains("meters ("),
        "{page}"
    );
    // An auditor sees the releases, never the forms; anonymous visitors see neither.
    let auditor = p.session("auditor").await;
    let auditor_cookie = Auth::Cookie {
        token: auditor.token.clone(),
        csrf: None,
    };
    let (_, _, page) = p
        .send("GET", &format!("/catalog/{id}"), &auditor_cookie, None)
        .await;
    assert!(page.contains("id=\"releases\"") || page.contains("尚无发布"));
    assert!(!page.contains("id=\"publish\""));
    let (_, _, page) = p
        .send("GET", &format!("/catalog/{id}"), &Auth::None, None)
        .await;
    assert!(!page.contains("尚无发布") && !page.contains("id=\"publish\""));

    // Without the form's CSRF token, or as the auditor, nothing is queued.
    let path = format!("/catalog/{id}/publish");
    let (status, _, _) = p
        .send(
            "POST",
            &path,
            &cookie,
            form(&[("version", "1"), ("policy", &policy)]),
        )
        .await;
    assert_eq!(status.as_u16(), 403);
    let (status, _, _) = p
        .send(
            "POST",
            &path,
            &auditor_cookie,
            form(&[
                ("csrf", &auditor.csrf),
                ("version", "1"),
                ("policy", &policy),
            ]),
        )
        .await;
    assert_eq!(status.as_u16(), 403);
    let (status, _, _) = p
        .send("POST", &path, &Auth::None, form(&[("version", "1")]))
        .await;
    assert_eq!(status.as_u16(), 303, "anonymous: to the sign-in page");
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(list, json!([]));

    // The officer publishes: to the job's page, which links the release once it is made.
    let (status, headers, _) = p
        .send(
            "POST",
            &path,
            &cookie,
            form(&[("csrf", &water.csrf), ("version", "1"), ("policy", &policy)]),
        )
        .await;
    assert_eq!(status.as_u16(), 303);
    let job_page = headers["location"].to_str().expect("location").to_string();
    let job_id = job_page.trim_start_matches("/jobs/");
    assert_eq!(wait_for_end(&p, job_id).await["state"], "succeeded");
    let (_, _, page) = p.send("GET", &job_page, &cookie, None).await;
    assert!(page.contains(&format!("/open/{id}/releases/1")), "{page}");

    // The release's page: to the holder, the policy, each column's treatment and the hashes;
    // to the public, the record and the hashes. Never a raw value.
    let (status, _, page) = p
        .send("GET", &format!("/open/{id}/releases/1"), &cookie, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &Auth::None,
            None,
        )
        .await;
    let sha = list[0]["output_sha256"].as_str().expect("sha").to_string();
    assert!(
        page.contains(&sha) && page.contains("op = &quot;mask&quot;"),
        "{page}"
    );
    assert!(
        page.contains("cn_mobile"),
        "the scan's finding is shown: {page}"
    );
    let (status, _, public) = p
        .send("GET", &format!("/open/{id}/releases/1"), &Auth::None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert!(public.contains(&sha), "{public}");
    assert!(
        !public.contains("op = &quot;mask&quot;") && !public.contains("cn_mobile"),
        "the policy and the scan are the holder's: {public}"
    );
    for raw in raw_values() {
        assert!(!page.contains(raw) && !public.contains(raw), "{raw}");
    }

    // Withdrawn from the page, with a reason.
    let rid = list[0]["id"].as_str().expect("id");
    let (status, _, _) = p
        .send(
            "POST",
            &format!("/catalog/{id}/releases/{rid}/withdraw"),
            &cookie,
            form(&[("csrf", &water.csrf), ("reason", "区县代码有误")]),
        )
        .await;
    assert_eq!(status.as_u16(), 303);
    let (_, _, page) = p
        .send("GET", &format!("/catalog/{id}"), &cookie, None)
        .await;
    assert!(page.contains("区县代码有误"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ckan_adapter_answers_in_ckans_envelope_and_errors() {
    let (p, id, policy) = setup().await;
    published(&p, &id, &policy).await;
    let call = |path: String| {
        let p = &p;
        async move {
            let (status, body) = p.json("GET", &path, &Auth::None, None).await;
            (status.as_u16(), body)
        }
    };
    let (status, body) = call("/api/3/action/package_show?id=e-none".into()).await;
    assert_eq!(status, 404);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["__type"], "Not Found Error");
    assert!(
        body["help"]
            .as_str()
            .unwrap_or("")
            .ends_with("help_show?name=package_show")
    );
    let (status, body) = call("/api/3/action/package_show".into()).await;
    assert_eq!(
        (status, &body["error"]["id"]),
        (409, &json!(["Missing value"]))
    );
    assert_eq!(body["error"]["__type"], "Validation Error");
    let (status, body) = call("/api/3/action/package_search?rows=many".into()).await;
    assert_eq!(
        (status, &body["error"]["rows"]),
        (409, &json!(["Invalid integer"]))
    );
    let (status, body) = call("/api/3/action/package_search?fq=colour:red".into()).await;
    assert_eq!(
        (status, body["error"]["__type"].as_str()),
        (400, Some("Search Query Error"))
    );
    let (status, body) = call("/api/3/action/package_delete".into()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!("Bad request - Action name not known: package_delete")
    );
    // POST with a JSON body, as ckanapi sends, numbers as strings.
    let (status, body) = p
        .json(
            "POST",
            "/api/action/package_search",
            &Auth::None,
            Some(json!({"q": "用水", "rows": "5", "facet.field": "[\"organization\", \"res_format\"]"})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body["result"]["count"], 1);
    assert_eq!(body["result"]["results"][0]["name"], id.as_str());
    let formats = &body["result"]["search_facets"]["res_format"]["items"];
    assert_eq!(formats.as_array().map(Vec::len), Some(4), "{formats}");
    // datastore_search: filters, q, fields, sort, limits and formats.
    let (_, show) = call(format!("/api/3/action/package_show?id={id}")).await;
    let resource = show["result"]["resources"][0]["id"]
        .as_str()
        .expect("resource")
        .to_string();
    let (status, body) = p
        .json(
            "POST",
            "/api/action/datastore_search",
            &Auth::None,
            Some(
                json!({"resource_id": resource, "filters": {"district": "330105"},
                        "fields": ["district", "usage_m3"], "sort": "usage_m3 desc"}),
            ),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let r = &body["result"];
    assert_eq!(r["total"], 2);
    assert_eq!(
        r["records"],
        json!([{"district": "330105", "usage_m3": 30.0}, {"district": "330105", "usage_m3": 3.25}])
    );
    assert_eq!(
        r["fields"],
        json!([{"id": "district", "type": "text"}, {"id": "usage_m3", "type": "numeric"}])
    );
    let (_, body) = call(format!(
        "/api/3/action/datastore_search?resource_id={resource}&limit=1&offset=1&records_format=lists&include_total=false"
    ))
    .await;
    assert_eq!(body["result"]["records"].as_array().map(Vec::len), Some(1));
    assert!(body["result"].get("total").is_none());
    assert!(
        body["result"]["_links"]["next"]
            .as_str()
            .unwrap_or("")
            .contains("offset=2")
    );
    let (status, body) = call(format!(
        "/api/3/action/datastore_search?resource_id={resource}&filters=%7B%22meter%22%3A%22M-0001%22%7D"
    ))
    .await;
    assert_eq!(status, 409, "a closed item is not a field: {body}");
    assert!(
        body["error"]["filters"][0]
            .as_str()
            .unwrap_or("")
            .contains("meter")
    );
    let (status, _) = call("/api/3/action/datastore_search?resource_id=r-none-csv".into()).await;
    assert_eq!(status, 404);
    // Counted as API calls of the dataset.
    let d = p.store.open_dataset(&id).await.expect("dataset");
    assert!(d.counts.api_calls >= 3, "{:?}", d.counts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_policy_claims_is_checked_against_what_it_wrote_and_the_catalog_as_it_is_now() {
    let (p, id, policy) = setup().await;
    // A redaction told to look for e-mail addresses only transforms nothing in a column of phone
    // numbers: the written rows still hold them, and the release is refused and not recorded.
    let no_mask = POLICY.replace(
        "[columns.contact]\nop = \"mask\"\nkeep_first = 3\nkeep_last = 0",
        "[columns.contact]\nop = \"redact\"\ntypes = [\"email\"]",
    );
    assert_ne!(no_mask, POLICY);
    let lazy = store_policy(&p, "masks nothing", "deid", &no_mask).await;
    let (_, job) = publish(&p, "water", &id, json!({"policy": lazy})).await;
    let job = wait_for_end(&p, job["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(
        job["error"]
            .as_str()
            .unwrap_or("")
            .contains("still holds direct identifiers"),
        "{job}"
    );
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{id}/releases"),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(list, json!([]));

    // Another organization's policy is not this holder's to use, by either door.
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/policies",
            &p.auth("power"),
            Some(json!({"name": "power's", "kind": "deid", "text": POLICY, "owner": "hz-power"})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, body) = publish(&p, "water", &id, json!({"policy": body["id"]})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("hz-power"),
        "{body}"
    );
    // Publishing has one door.
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/jobs",
            &p.auth("water"),
            Some(json!({"kind": "publish", "entry": id, "policy": policy})),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "{body}");

    // Published; then the holder closes an item the release shows: off the portal at once.
    published(&p, &id, &policy).await;
    let (status, _, _) = p.bytes("GET", &format!("/open/{id}/data.csv"), &[]).await;
    assert_eq!(status.as_u16(), 200);
    let stored = p.store.entry(&id).await.expect("entry");
    let mut edited = stored.entry.clone();
    edited.items[3].open = false;
    p.store
        .update_entry(&id, stored.revision, &edited, "water")
        .await
        .expect("edit");
    for route in [
        format!("/open/{id}/data.csv"),
        format!("/open/{id}/releases/1/data.parquet"),
        format!("/open/{id}"),
        format!("/api/3/action/package_show?id={id}"),
    ] {
        let (status, _, _) = p.bytes("GET", &route, &[]).await;
        assert_eq!(status.as_u16(), 404, "{route} after the item was closed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymization_without_requirements_or_keeping_an_identifier_does_not_open_data() {
    let (p, _, _) = setup().await;
    let mut e = entry("用水户分区记录", OpenAttribute::Restricted);
    e.items[3].personal_info = Some(pubdata_detect::PiiType::Address);
    let e = p.store.create_entry(&e, "setup").await.expect("entry");
    upload(&p, &e.id).await;
    let no_requirement = "[anonymize]\ndrop = [\"meter\", \"contact\", \"remarks\"]\nkeep = [\"usage_m3\"]\n\
                          quasi_identifiers = [{ column = \"district\", hierarchy = { masking = [4, 2] } }]\n";
    // The contact kept as a "quasi-identifier" and left as it is by a search bound by nothing.
    let identifier_kept = "[anonymize]\ndrop = [\"meter\", \"remarks\"]\nkeep = [\"usage_m3\"]\n\
                           quasi_identifiers = [{ column = \"district\", hierarchy = { masking = [4, 2] } }, \
                           { column = \"contact\", hierarchy = { masking = [] } }]\n\
                           [anonymize.requirements]\nk = 1\n";
    for (name, text, says) in [
        ("nothing required", no_requirement, "anonymization"),
        ("contact kept", identifier_kept, "\"contact\""),
    ] {
        let policy = store_policy(&p, name, "anonymize", text).await;
        let (_, job) = publish(&p, "water", &e.id, json!({"policy": policy})).await;
        let job = wait_for_end(&p, job["id"].as_str().expect("id")).await;
        assert_eq!(job["state"], "failed", "{name}: {job}");
        assert!(
            job["error"].as_str().unwrap_or("").contains(says),
            "{name}: {job}"
        );
    }
    let (_, list) = p
        .json(
            "GET",
            &format!("/api/v1/catalog/{}/releases", e.id),
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(list, json!([]));
}
