//! Release jobs over the API: a department officer stores a policy and de-identifies an uploaded
//! version; the output read back holds no raw identifier; every route refuses whom it must; a
//! job left running by a dead process is failed when the workers start, and what it left goes.

mod common;

use common::{Auth, CALLERS, Platform, platform};
use pubdata_detect::PiiType;
use pubdata_platform::catalog::{
    CatalogEntry, DataItem, DataType, OpenAttribute, SecurityGrade, SharingAttribute, UpdateCycle,
};
use serde_json::{Value, json};

const ROWS: &[(&str, &str, &str, &str)] = &[
    ("张伟", "13812345678", "张伟来电，回拨13812345678", "12.5"),
    (
        "王芳",
        "13987654321",
        "王芳的地址是杭州市西湖区文三路90号",
        "8",
    ),
    ("李娜", "15011112222", "无", "3.25"),
];

const POLICY: &str = r#"version = 1
[columns.person]
op = "drop"
[columns.mobile]
op = "mask"
keep_first = 3
keep_last = 4
[columns.note]
op = "redact"
[columns.usage_m3]
op = "keep"
"#;

fn item(name: &str, label: &str, pii: Option<PiiType>, data_type: DataType) -> DataItem {
    DataItem {
        name: name.into(),
        label: label.into(),
        data_type,
        personal_info: pii,
        grade: if pii.is_some() {
            SecurityGrade::L3
        } else {
            SecurityGrade::L1
        },
        required: false,
        key: false,
        open: true,
    }
}

/// An entry of the water company's with personal data, and one uploaded version of it.
async fn personal_entry(p: &Platform) -> String {
    let entry = CatalogEntry {
        title: "用水户联系记录".into(),
        description: "用水户的联系人、电话和备注".into(),
        owner: "hz-water".into(),
        items: vec![
            item(
                "person",
                "联系人",
                Some(PiiType::PersonName),
                DataType::Text,
            ),
            item("mobile", "手机号", Some(PiiType::CnMobile), DataType::Text),
            item("note", "备注", None, DataType::Text),
            item("usage_m3", "用水量", None, DataType::Decimal),
        ],
        update_cycle: UpdateCycle::Monthly,
        sharing: SharingAttribute::Conditional,
        sharing_reason: Some("含个人信息".into()),
        open: OpenAttribute::Prohibited,
        open_reason: Some("含个人信息".into()),
        theme: None,
    };
    let stored = p.store.create_entry(&entry, "setup").await.expect("entry");
    let mut csv = String::from("person,mobile,note,usage_m3\n");
    for r in ROWS {
        csv.push_str(&format!("{},{},{},{}\n", r.0, r.1, r.2, r.3));
    }
    let (status, _, body) = p
        .send(
            "POST",
            &format!("/api/v1/catalog/{}/versions?name=contacts.csv", stored.id),
            &p.auth("water"),
            Some(("text/csv", csv)),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    stored.id
}

async fn store_policy(p: &Platform, caller: &str, name: &str, text: &str) -> (u16, Value) {
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/policies",
            &p.auth(caller),
            Some(json!({"name": name, "kind": "deid", "text": text, "owner": "hz-water"})),
        )
        .await;
    (status.as_u16(), body)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_releases_an_uploaded_version_and_the_output_holds_no_raw_identifier() {
    let mut p = platform().await;
    p.start_workers(1);
    let entry = personal_entry(&p).await;

    // Policies: stored by the holder (or the authority), checked before they are stored.
    let (status, body) = store_policy(&p, "water", "contacts", POLICY).await;
    assert_eq!(status, 201, "{body}");
    let policy = body["id"].as_str().expect("policy id").to_string();
    for (caller, code) in [
        ("anonymous", 401),
        ("power", 403),
        ("auditor", 403),
        ("applicant", 403),
    ] {
        let (status, body) = store_policy(&p, caller, &format!("by {caller}"), POLICY).await;
        assert_eq!(status, code, "{caller} stores a policy: {body}");
    }
    let (status, body) = store_policy(
        &p,
        "water",
        "broken",
        &POLICY.replace("\"drop\"", "\"dorp\""),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("policy \"broken\":2:"),
        "{body}"
    );
    let with_file =
        format!("{POLICY}[columns.x]\nop = \"generalize\"\nhierarchy = \"h.csv\"\nlevel = 1\n");
    let (status, body) = store_policy(&p, "water", "with file", &with_file).await;
    assert_eq!(status, 422, "{body}");
    let (status, list) = p
        .json("GET", "/api/v1/policies", &p.auth("auditor"), None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "only the checked policy is stored"
    );

    // Submitting: the holder's officer and the authority; nobody else.
    let submit = json!({"kind": "deid", "entry": entry, "policy": policy});
    let codes = [401, 202, 202, 403, 403, 403, 403];
    let mut jobs = Vec::new();
    for (caller, code) in CALLERS.iter().zip(codes) {
        let (status, job) = p
            .json(
                "POST",
                "/api/v1/jobs",
                &p.auth(caller),
                Some(submit.clone()),
            )
            .await;
        assert_eq!(status.as_u16(), code, "{caller} submits: {job}");
        if code == 202 {
            assert_eq!(job["state"], "queued");
            assert_eq!(job["version"], 1);
            jobs.push(job["id"].as_str().expect("id").to_string());
        }
    }
    let (status, body) = p
        .json(
            "POST",
            "/api/v1/jobs",
            &p.auth("water"),
            Some(json!({"kind": "deid", "entry": entry, "version": 9, "policy": policy})),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("no version 9"),
        "{body}"
    );

    let job = wait_for_end(&p, &jobs[0]).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["report"]["counts"]["rows_in"], 3, "{job}");
    // Ended, its progress says so (a job shorter than the progress period included).
    assert_eq!(job["phase"], "done", "{job}");
    assert_eq!(
        job["report"]["input"]["path"],
        format!("{}_v1", entry.replace('-', "_"))
    );
    assert_eq!(job["submitted_by"], "admin");

    // Reading the job and its output: those who may read the holder's data.
    let output = format!("/api/v1/jobs/{}/output", jobs[0]);
    let codes = [401, 200, 200, 403, 200, 403, 403];
    for (caller, code) in CALLERS.iter().zip(codes) {
        let (status, _, body) = p.send("GET", &output, &p.auth(caller), None).await;
        assert_eq!(status.as_u16(), code, "{caller} downloads: {body}");
        let (status, _) = p
            .json(
                "GET",
                &format!("/api/v1/jobs/{}", jobs[0]),
                &p.auth(caller),
                None,
            )
            .await;
        assert_eq!(status.as_u16(), code, "{caller} reads the job");
    }
    // The job's page: for the same readers; finished, it stops reloading and links the output.
    let page = format!("/jobs/{}", jobs[0]);
    let (status, _, html) = p.send("GET", &page, &p.auth("water"), None).await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        html.contains("data-state=\"succeeded\">已完成") && html.contains(&output),
        "{html}"
    );
    assert!(!html.contains("http-equiv=\"refresh\""), "{html}");
    for caller in ["power", "applicant", "operator"] {
        let (status, _, _) = p.send("GET", &page, &p.auth(caller), None).await;
        assert_eq!(status.as_u16(), 403, "{caller} reads the job page");
    }
    let (status, _, _) = p.send("GET", &page, &Auth::None, None).await;
    assert!(matches!(status.as_u16(), 401 | 303), "anonymous: {status}");

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("release.parquet");
    let bytes = download(&p, &output).await;
    std::fs::write(&file, &bytes).expect("write");
    let reader = pubdata_tables::open(&file, &Default::default()).expect("parquet");
    let columns: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(columns, ["mobile", "note", "usage_m3"], "person dropped");
    let mut text = String::new();
    for b in reader {
        for c in b.expect("batch").columns() {
            for v in pubdata_tables::cast_to_utf8(c)
                .expect("text")
                .iter()
                .flatten()
            {
                text.push_str(v);
                text.push('\n');
            }
        }
    }
    for r in ROWS {
        for raw in [r.0, r.1] {
            assert!(!text.contains(raw), "{raw} in the clear:\n{text}");
        }
    }
    assert!(!text.contains("文三路90号"), "{text}");
    assert!(text.contains("138****5678"), "{text}");

    // The officer of another organization lists none of the water company's jobs.
    let (_, mine) = p.json("GET", "/api/v1/jobs", &p.auth("power"), None).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(0), "{mine}");
    let (_, all) = p
        .json("GET", "/api/v1/jobs", &p.auth("auditor"), None)
        .await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let (status, _) = p.json("GET", "/api/v1/jobs", &Auth::None, None).await;
    assert_eq!(status.as_u16(), 401);

    // A finished job cannot be cancelled; another organization cannot cancel at all.
    let cancel = format!("/api/v1/jobs/{}/cancel", jobs[0]);
    let (status, _) = p.json("POST", &cancel, &p.auth("power"), None).await;
    assert_eq!(status.as_u16(), 403);
    let (status, _) = p.json("POST", &cancel, &p.auth("water"), None).await;
    assert_eq!(status.as_u16(), 409);

    // Every step is in the audit log, and the chain holds.
    let (_, audit) = p
        .json("GET", "/api/v1/audit?limit=1000", &p.auth("auditor"), None)
        .await;
    let actions: Vec<&str> = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "policy.create",
        "job.submit",
        "job.succeeded",
        "release.download",
        "release.build",
        "policy.manage",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    wait_for_end(&p, &jobs[1]).await;
    p.store.verify_audit().await.expect("chain intact");
}

async fn download(p: &Platform, path: &str) -> Vec<u8> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let Auth::Bearer(token) = p.auth("water") else {
        panic!("bearer")
    };
    let req = axum::http::Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = p.app.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status().as_u16(), 200);
    resp.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_left_running_by_a_dead_process_is_failed_when_workers_start() {
    let mut p = platform().await;
    let entry = personal_entry(&p).await;
    let (_, policy) = store_policy(&p, "water", "contacts", POLICY).await;
    let (status, job) = p
        .json(
            "POST",
            "/api/v1/jobs",
            &p.auth("water"),
            Some(json!({"kind": "deid", "entry": entry, "policy": policy["id"]})),
        )
        .await;
    assert_eq!(status.as_u16(), 202, "{job}");
    let id = job["id"].as_str().expect("id").to_string();
    // Queued, its page reloads itself.
    let (_, _, html) = p
        .send("GET", &format!("/jobs/{id}"), &p.auth("water"), None)
        .await;
    assert!(
        html.contains("http-equiv=\"refresh\"") && html.contains("data-state=\"queued\">排队中"),
        "{html}"
    );
    // A server took the job, wrote its output object, and died before recording the end: its
    // heartbeat stopped a minute ago.
    let claimed = p.store.claim_job().await.expect("claim").expect("job");
    assert_eq!(claimed.id, id);
    let datasets = pubdata_platform::ingest::local_storage(&p.data_dir).expect("datasets");
    let leftover = p.data_dir.join("leftover.parquet");
    std::fs::write(&leftover, b"PAR1 half a release").expect("leftover");
    let key = format!("releases/{id}/data.parquet");
    datasets.put_file(&key, &leftover).await.expect("put");
    let pool = sqlx::AnyPool::connect(&pubdata_platform::store::Store::sqlite_url(
        &p.data_dir.join("meta.db"),
    ))
    .await
    .expect("pool");
    sqlx::query("UPDATE jobs SET heartbeat_at = '2026-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(&id)
        .execute(&pool)
        .await
        .expect("age the heartbeat");
    pool.close().await;

    // The restarted server's workers fail it, and remove what it left.
    p.start_workers(1);
    let job = wait_for_end(&p, &id).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(
        job["error"]
            .as_str()
            .unwrap_or("")
            .contains("server stopped"),
        "{job}"
    );
    assert!(job.get("output").is_none(), "{job}");
    for _ in 0..100 {
        if !datasets.exists(&key).await.expect("exists") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        !datasets.exists(&key).await.expect("exists"),
        "the dead job's object is removed"
    );
    let referenced = p.store.referenced_parts().await.expect("parts");
    assert!(
        referenced.iter().all(|part| !part.starts_with("releases/")),
        "{referenced:?}"
    );
    let (status, _) = p
        .json(
            "GET",
            &format!("/api/v1/jobs/{id}/output"),
            &p.auth("water"),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 409);
}
