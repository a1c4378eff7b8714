//! Aggregation: uploads checked against the entry's items and committed as versions, on both back
//! ends; bad uploads commit nothing and leave no file behind.

mod common;

use std::path::Path;

use arrow_array::Array;
use pubdata_detect::PiiType;
use pubdata_platform::catalog::{DataType, OpenAttribute, SecurityGrade, SharingAttribute};
use pubdata_platform::ingest::{IngestError, Mode, RejectLimit, Upload, ingest, local_storage};
use pubdata_platform::quality::Reason;
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::{Store, StoredEntry};

use common::{backends, entry, finish, item, water};

/// Water meter readings with a key, a decimal, a date and an optional resident id.
async fn readings_entry(s: &Store) -> StoredEntry {
    s.create_organization(&water(), "admin").await.expect("org");
    let mut e = entry("水表抄表记录");
    e.items = vec![
        item("account", "户号", None, SecurityGrade::L2),
        item("usage_m3", "用水量", None, SecurityGrade::L1),
        item("read_on", "抄表日期", None, SecurityGrade::L1),
        item(
            "holder_id",
            "户主身份证号",
            Some(PiiType::CnResidentId),
            SecurityGrade::L3,
        ),
    ];
    e.items[0].required = true;
    e.items[0].key = true;
    e.items[1].required = true;
    e.items[1].data_type = DataType::Decimal;
    e.items[2].data_type = DataType::Date;
    e.sharing = SharingAttribute::Conditional;
    e.sharing_reason = Some("含个人信息".into());
    e.open = OpenAttribute::Restricted;
    e.open_reason = Some("含个人信息".into());
    s.create_entry(&e, "admin").await.expect("entry")
}

/// A store on SQLite in `dir` with the water company's readings entry.
async fn sqlite_readings(dir: &Path) -> (Store, StoredEntry) {
    let s = Store::open(&Store::sqlite_url(&dir.join("m.db")))
        .await
        .expect("store");
    let e = readings_entry(&s).await;
    (s, e)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write upload");
    p
}

/// An upload that keeps whatever rows pass (`max_rejected = all`), as most tests here check
/// what happens to the rows; the default refusal has its own test.
fn upload<'a>(file: &'a Path, mode: Mode) -> Upload<'a> {
    Upload {
        file,
        format: None,
        source_name: "readings.csv",
        mode,
        actor: "water",
        max_rejected: RejectLimit::Share(1.0),
    }
}

/// Parquet files under `dir`, and any temporary files.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                out.extend(files(&e.path()));
            } else {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out
}

const GOOD_ID: &str = "11010519491231002X";
const BAD_ID: &str = "110105194912310021";

#[tokio::test]
async fn uploads_are_checked_and_become_versions_appended_or_replaced() {
    for b in backends().await {
        let s = &b.store;
        let e = readings_entry(s).await;
        let tmp = tempfile::tempdir().expect("tmp");
        let datasets = local_storage(tmp.path()).expect("storage");
        let folder = tmp.path().join("datasets");
        let csv = format!(
            "account,usage_m3,read_on,holder_id\n\
             A1,12.5,2026-10-01,{GOOD_ID}\n\
             A2,3,2026-10-01,\n\
             A3,abc,2026-10-01,\n\
             ,4.0,2026-10-01,\n\
             A5,1.5,2026-10-01,{BAD_ID}\n\
             A1,7.25,2026-10-31,\n"
        );
        let f = write(tmp.path(), "u1.csv", csv.as_bytes());
        let v1 = ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect("ingest");
        assert_eq!((v1.version, v1.rows), (1, 3), "{}", b.name);
        let r = &v1.report;
        assert_eq!((r.rows_read, r.rows_rejected), (6, 3));
        assert_eq!(r.rejections.get(&Reason::NotDecimal), Some(&1));
        assert_eq!(r.rejections.get(&Reason::Missing), Some(&1));
        assert_eq!(r.rejections.get(&Reason::InvalidPersonalInfo), Some(&1));
        assert_eq!(r.duplicate_keys, 1, "A1 twice");
        // The part holds the accepted rows, typed.
        let part = folder.join(&v1.parts[0]);
        let mut rows = 0;
        for batch in pubdata_tables::open(&part, &Default::default()).expect("part") {
            let batch = batch.expect("batch");
            assert_eq!(
                batch.schema().field(1).data_type(),
                &arrow_schema::DataType::Float64
            );
            rows += batch.num_rows();
            let usage = batch.column(1);
            assert_eq!(usage.null_count(), 0);
        }
        assert_eq!(rows, 3);

        // GBK text, appended.
        let (gbk, _, _) = encoding_rs::GBK.encode(
            "account,usage_m3,read_on,holder_id\n西湖1,2,2026-11-01,\n西湖2,3,2026-11-01,\n",
        );
        let f2 = write(tmp.path(), "u2.csv", &gbk);
        let v2 = ingest(s, &datasets, &e, &upload(&f2, Mode::Append))
            .await
            .expect("gbk");
        assert_eq!(
            (v2.version, v2.rows, v2.parts.len()),
            (2, 5, 2),
            "{}",
            b.name
        );
        assert_eq!(s.stats().await.expect("stats").records_aggregated, 5);

        let f3 = write(
            tmp.path(),
            "u3.csv",
            b"account,usage_m3,read_on,holder_id\nB1,1,2026-12-01,\n",
        );
        let v3 = ingest(s, &datasets, &e, &upload(&f3, Mode::Replace))
            .await
            .expect("replace");
        assert_eq!(
            (v3.version, v3.rows, v3.parts.len()),
            (3, 1, 1),
            "{}",
            b.name
        );
        assert_eq!(s.stats().await.expect("stats").records_aggregated, 1);
        // Earlier versions stay as they were.
        let versions = s.versions(&e.id).await.expect("versions");
        assert_eq!(
            versions.iter().map(|v| v.rows).collect::<Vec<_>>(),
            vec![1, 5, 3]
        );
        for v in &versions {
            for p in &v.parts {
                assert!(folder.join(p).is_file(), "{p} of version {}", v.version);
            }
        }
        assert!(s.verify_audit().await.expect("chain") > 0);
        finish(b).await;
    }
}

#[tokio::test]
async fn a_bad_upload_commits_nothing_and_leaves_no_file() {
    for b in backends().await {
        let s = &b.store;
        let e = readings_entry(s).await;
        let tmp = tempfile::tempdir().expect("tmp");
        let datasets = local_storage(tmp.path()).expect("storage");

        let f = write(
            tmp.path(),
            "h.csv",
            b"account,read_on,holder_id,meter\nA1,2026-10-01,,M1\n",
        );
        let err = ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect_err("header");
        let text = err.to_string();
        assert!(
            text.contains("readings.csv") && text.contains("usage_m3") && text.contains("meter"),
            "{text}"
        );

        let f = write(
            tmp.path(),
            "r.csv",
            b"account,usage_m3,read_on,holder_id\nA1,lots,2026-10-01,\n",
        );
        let err = ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect_err("all rejected");
        let IngestError::NothingAccepted { report, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(report.rows_rejected, 1);

        let f = write(
            tmp.path(),
            "q.csv",
            b"account,usage_m3,read_on,holder_id\n\"A1,1,2026-10-01,\n",
        );
        let err = ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect_err("broken csv");
        let text = err.to_string();
        assert!(
            text.contains("line") && text.contains("readings.csv"),
            "{text}"
        );
        assert!(
            !text.contains(&tmp.path().display().to_string()),
            "no server path: {text}"
        );

        // An upload whose commit fails (its entry is gone from this store) leaves no part.
        let other = Store::open(&Store::sqlite_url(&tmp.path().join("other.db")))
            .await
            .expect("other");
        let f = write(
            tmp.path(),
            "ok.csv",
            b"account,usage_m3,read_on,holder_id\nA1,1,2026-10-01,\n",
        );
        let err = ingest(&other, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect_err("no entry");
        assert!(err.to_string().contains("no catalog entry"), "{err}");
        other.close().await;

        assert!(
            s.versions(&e.id).await.expect("versions").is_empty(),
            "{}",
            b.name
        );
        assert_eq!(s.stats().await.expect("stats").records_aggregated, 0);
        assert_eq!(
            files(&tmp.path().join("datasets")),
            Vec::<String>::new(),
            "{}",
            b.name
        );
        assert_eq!(
            files(datasets.scratch()),
            Vec::<String>::new(),
            "{}: no scratch file stays",
            b.name
        );
        let failed = s
            .audit_entries(&pubdata_platform::store::AuditFilter {
                action: Some("dataset.ingest".into()),
                outcome: Some(pubdata_platform::audit::Outcome::Failed),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(
            failed.len(),
            3,
            "{}: every refused upload is audited",
            b.name
        );
        finish(b).await;
    }
}

#[tokio::test]
async fn json_lines_uploads_are_checked_like_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let lines = format!(
        "{{\"account\": \"A1\", \"usage_m3\": 12.5, \"read_on\": \"2026-10-01\", \"holder_id\": \"{GOOD_ID}\"}}\n\
         {{\"account\": \"A2\", \"usage_m3\": \"n/a\", \"read_on\": \"2026-10-01\", \"holder_id\": null}}\n"
    );
    let f = write(dir.path(), "u.jsonl", lines.as_bytes());
    let mut up = upload(&f, Mode::Append);
    up.source_name = "readings.jsonl";
    let v = ingest(&s, &local_storage(dir.path()).expect("storage"), &e, &up)
        .await
        .expect("json lines");
    assert_eq!((v.rows, v.report.rows_rejected), (1, 1));
    assert_eq!(v.report.rejections.get(&Reason::NotDecimal), Some(&1));
}

/// The tables crate's fixture builders (hand-built .xlsx files among them).
#[path = "../../tables/tests/common/mod.rs"]
mod sheets;

#[tokio::test]
async fn xlsx_and_parquet_uploads_are_checked_like_csv() {
    use sheets::Cell::{N, S};
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let datasets = local_storage(dir.path()).expect("storage");
    let text = |v: &str| Some(S(v.to_string()));
    let xlsx = dir.path().join("u.xlsx");
    sheets::write_xlsx(
        &xlsx,
        &[(
            "抄表",
            vec![
                vec![
                    text("account"),
                    text("usage_m3"),
                    text("read_on"),
                    text("holder_id"),
                ],
                vec![
                    text("A1"),
                    Some(N("12.5".into())),
                    text("2026-10-01"),
                    text(GOOD_ID),
                ],
                vec![text("A2"), text("n/a"), text("2026-10-01"), None],
                vec![
                    text("A3"),
                    Some(N("4".into())),
                    text("2026-10-02"),
                    text(BAD_ID),
                ],
            ],
        )],
    );
    let mut up = upload(&xlsx, Mode::Append);
    up.source_name = "readings.xlsx";
    let v = ingest(&s, &datasets, &e, &up).await.expect("xlsx");
    assert_eq!((v.rows, v.report.rows_rejected), (1, 2));
    assert_eq!(v.report.rejections.get(&Reason::NotDecimal), Some(&1));
    assert_eq!(
        v.report.rejections.get(&Reason::InvalidPersonalInfo),
        Some(&1)
    );

    // A Parquet upload whose columns are typed already (usage as a double, the date as text).
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("account", arrow_schema::DataType::Utf8, true),
        arrow_schema::Field::new("usage_m3", arrow_schema::DataType::Float64, true),
        arrow_schema::Field::new("read_on", arrow_schema::DataType::Utf8, true),
        arrow_schema::Field::new("holder_id", arrow_schema::DataType::Utf8, true),
    ]));
    let batch = arrow_array::RecordBatch::try_new(
        schema.clone(),
        vec![
            std::sync::Arc::new(arrow_array::StringArray::from(vec![
                Some("P1"),
                None,
                Some("P3"),
            ])),
            std::sync::Arc::new(arrow_array::Float64Array::from(vec![1.5, 2.0, 3.25])),
            std::sync::Arc::new(arrow_array::StringArray::from(vec![
                "2026-11-01",
                "2026-11-01",
                "2026-11-31",
            ])),
            std::sync::Arc::new(arrow_array::StringArray::from(vec![None::<&str>; 3])),
        ],
    )
    .expect("batch");
    let pq = dir.path().join("u.parquet");
    let mut w = pubdata_tables::TableWriter::create(&pq, pubdata_tables::Format::Parquet, schema)
        .expect("writer");
    w.write(&batch).expect("write");
    w.finish().expect("finish");
    let mut up = upload(&pq, Mode::Append);
    up.source_name = "readings.parquet";
    let v = ingest(&s, &datasets, &e, &up).await.expect("parquet");
    assert_eq!((v.version, v.rows), (2, 2), "P1 added to A1");
    assert_eq!(v.report.rejections.get(&Reason::Missing), Some(&1));
    assert_eq!(v.report.rejections.get(&Reason::NotDate), Some(&1));
}

#[tokio::test]
async fn parts_go_to_any_object_store_location_and_nowhere_else() {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let scratch = dir.path().join("scratch");
    let datasets = DatasetStorage::open("memory://", &scratch).expect("memory location");
    let f = write(
        dir.path(),
        "u.csv",
        b"account,usage_m3,read_on,holder_id\nA1,1,2026-10-01,\nA2,2,2026-10-01,\n",
    );
    let v = ingest(&s, &datasets, &e, &upload(&f, Mode::Append))
        .await
        .expect("ingest");
    assert!(
        datasets.exists(&v.parts[0]).await.expect("head"),
        "the part is in the location"
    );
    assert_eq!(
        files(&scratch),
        Vec::<String>::new(),
        "no scratch file stays"
    );
    assert!(!dir.path().join("datasets").exists());

    // A folder given as a file URL is the same as the folder.
    let folder = dir.path().join("lake");
    let url = format!("file://{}", folder.display());
    let local = DatasetStorage::open(&url, &scratch).expect("file url");
    let v = ingest(&s, &local, &e, &upload(&f, Mode::Replace))
        .await
        .expect("ingest");
    assert!(folder.join(&v.parts[0]).is_file());

    let err = DatasetStorage::open("gopher://example/x", &scratch).expect_err("unknown scheme");
    assert!(err.to_string().contains("gopher://example/x"), "{err}");
}

#[tokio::test]
async fn a_sweep_removes_only_old_parts_no_version_lists() {
    use pubdata_platform::sweep::sweep;
    for b in backends().await {
        let s = &b.store;
        let e = readings_entry(s).await;
        let tmp = tempfile::tempdir().expect("tmp");
        let datasets = local_storage(tmp.path()).expect("storage");
        let f = write(
            tmp.path(),
            "u.csv",
            b"account,usage_m3,read_on,holder_id\nA1,1,2026-10-01,\n",
        );
        let v1 = ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect("v1");
        let v2 = ingest(s, &datasets, &e, &upload(&f, Mode::Replace))
            .await
            .expect("v2");
        // What an ingest that stopped before its commit leaves behind, and something else that
        // shares the location.
        let orphan = format!("{}/part-orphan.parquet", e.id);
        datasets.put_file(&orphan, &f).await.expect("orphan");
        datasets
            .put_file("notes/readme.txt", &f)
            .await
            .expect("other");

        // The wrong metadata store (one that lists no version) stops the sweep.
        let empty = Store::open(&Store::sqlite_url(&tmp.path().join("empty.db")))
            .await
            .expect("empty store");
        let zero = chrono::Duration::zero();
        let err = sweep(&empty, &datasets, zero, false, false, "ops")
            .await
            .expect_err("wrong store");
        assert!(err.to_string().contains("holds 3 parts"), "{err}");
        empty.close().await;

        // Within the grace period it may be an ingest under way: kept.
        let hour = chrono::Duration::hours(1);
        let r = sweep(s, &datasets, hour, false, false, "ops")
            .await
            .expect("sweep");
        assert_eq!(
            (
                r.objects,
                r.foreign,
                r.referenced,
                r.recent,
                r.removed.len()
            ),
            (4, 1, 2, 1, 0),
            "{}",
            b.name
        );
        let r = sweep(s, &datasets, zero, true, false, "ops")
            .await
            .expect("dry run");
        assert_eq!(r.removed, vec![orphan.clone()], "{}", b.name);
        assert!(
            datasets.exists(&orphan).await.expect("head"),
            "a dry run removes nothing"
        );

        let r = sweep(s, &datasets, zero, false, false, "ops")
            .await
            .expect("sweep");
        assert_eq!(r.removed, vec![orphan.clone()], "{}", b.name);
        assert!(r.removed_bytes > 0);
        assert!(!datasets.exists(&orphan).await.expect("head"));
        assert!(
            datasets.exists("notes/readme.txt").await.expect("head"),
            "not a part: kept"
        );
        // Every version's parts are still there, the replaced one's too.
        for p in v1.parts.iter().chain(&v2.parts) {
            assert!(datasets.exists(p).await.expect("head"), "{p}");
        }
        let swept = s
            .audit_entries(&pubdata_platform::store::AuditFilter {
                action: Some("dataset.sweep".into()),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(
            swept.len(),
            1,
            "{}: only the real sweep that removed",
            b.name
        );
        assert!(swept[0].record.detail.contains(&orphan));
        finish(b).await;
    }
}

#[tokio::test]
async fn a_file_without_its_header_row_is_refused_without_its_values() {
    for b in backends().await {
        let s = &b.store;
        let e = readings_entry(s).await;
        let tmp = tempfile::tempdir().expect("tmp");
        let datasets = local_storage(tmp.path()).expect("storage");
        let f = write(
            tmp.path(),
            "h.csv",
            format!("330106001, {GOOD_ID}, 13812345678\nA2,1,2026-10-01\n").as_bytes(),
        );
        let err = ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect_err("no header row");
        let text = err.to_string();
        assert!(
            text.contains("column 2 looks like cn_resident_id")
                && text.contains("column 3 looks like cn_mobile")
                && text.contains("missing account"),
            "{}: {text}",
            b.name
        );
        let audited = s
            .audit_entries(&pubdata_platform::store::AuditFilter::default())
            .await
            .expect("audit");
        assert!(audited.iter().any(|a| a.record.action == "dataset.ingest"));
        for a in audited
            .iter()
            .map(|a| format!("{:?}", a.record))
            .chain([text])
        {
            for value in [GOOD_ID, "13812345678", "330106001"] {
                assert!(!a.contains(value), "{}: {value} in {a}", b.name);
            }
        }
        finish(b).await;
    }
}

#[tokio::test]
async fn a_file_headed_by_the_labels_with_monthly_dates_is_read_as_the_items() {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let datasets = local_storage(dir.path()).expect("storage");
    // As a department's office exports it: the Chinese labels, in another order, and dates by
    // month, quarter or in the Chinese form.
    let f = write(
        dir.path(),
        "labels.csv",
        "抄表日期,户号,用水量,户主身份证号\n2026-10,A1,12.5,\n2026年10月5日,A2,3,\n2026Q4,A3,1,\n"
            .as_bytes(),
    );
    let v = ingest(&s, &datasets, &e, &upload(&f, Mode::Append))
        .await
        .expect("labels and monthly dates are accepted");
    assert_eq!((v.rows, v.report.rows_rejected), (3, 0), "{:?}", v.report);
    let part = dir.path().join("datasets").join(&v.parts[0]);
    let mut dates = Vec::new();
    for batch in pubdata_tables::open(&part, &Default::default()).expect("part") {
        let batch = batch.expect("batch");
        assert_eq!(
            batch.schema().field(2).data_type(),
            &arrow_schema::DataType::Date32
        );
        let text = pubdata_tables::cast_to_utf8(batch.column(2)).expect("text");
        dates.extend(text.iter().map(|d| d.map(str::to_string)));
    }
    assert_eq!(
        dates,
        ["2026-10-01", "2026-10-05", "2026-10-01"].map(|d| Some(d.to_string()))
    );
    s.close().await;
}

#[tokio::test]
async fn values_padded_with_spaces_convert_as_they_were_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let datasets = local_storage(dir.path()).expect("storage");
    // The checks trim a value; a cast that did not would fail on a row they accepted, with a
    // message quoting the value.
    let f = write(
        dir.path(),
        "p.csv",
        format!(
            "account,usage_m3,read_on,holder_id\n\
             A1, 12.5 , 2026-10-01 ,{GOOD_ID}\nA2,+3,2026-10-02,\nA3,.5,2026-10-03,\n"
        )
        .as_bytes(),
    );
    let v = ingest(&s, &datasets, &e, &upload(&f, Mode::Append))
        .await
        .expect("padded values convert");
    assert_eq!((v.rows, v.report.rows_rejected), (3, 0));
}

#[tokio::test]
async fn a_sweep_takes_old_scratch_files_of_ours_and_nothing_else() {
    use pubdata_platform::sweep::sweep;
    for b in backends().await {
        let s = &b.store;
        let e = readings_entry(s).await;
        let tmp = tempfile::tempdir().expect("tmp");
        let datasets = local_storage(tmp.path()).expect("storage");
        let f = write(
            tmp.path(),
            "u.csv",
            b"account,usage_m3,read_on,holder_id\nA1,1,2026-10-01,\n",
        );
        ingest(s, &datasets, &e, &upload(&f, Mode::Append))
            .await
            .expect("v1");
        // What a server or an ingest that crashed leaves: a spooled upload, a part being written
        // and its writer's temporary file; beside them a file of someone else's and a spool
        // still being written.
        let scratch = datasets.scratch().to_path_buf();
        let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        let spool = datasets.spool_path();
        let spool_name = spool
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let live = datasets.spool_path();
        let leftovers = [
            spool_name.clone(),
            "part-crashed.parquet".to_string(),
            ".part-crashed.parquet.4242.0.tmp".to_string(),
        ];
        for name in leftovers.iter().map(String::as_str).chain(["notes.txt"]) {
            let file = std::fs::File::create(scratch.join(name)).expect("create");
            std::io::Write::write_all(&mut &file, &[0u8; 1000]).expect("write");
            file.set_modified(hours_ago).expect("mtime");
        }
        std::fs::write(&live, b"still arriving").expect("live spool");

        let hour = chrono::Duration::hours(1);
        let r = sweep(s, &datasets, hour, true, false, "ops")
            .await
            .expect("dry run");
        let mut listed = r.scratch_removed.clone();
        listed.sort();
        let mut expected = leftovers.to_vec();
        expected.sort();
        assert_eq!(listed, expected, "{}", b.name);
        assert_eq!((r.scratch_bytes, r.scratch_recent), (3000, 1), "{}", b.name);
        assert!(spool.exists(), "a dry run removes nothing");

        let r = sweep(s, &datasets, hour, false, false, "ops")
            .await
            .expect("sweep");
        assert_eq!(r.scratch_removed.len(), 3, "{}", b.name);
        let mut left: Vec<String> = std::fs::read_dir(&scratch)
            .expect("scratch")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut kept = vec![
            "notes.txt".to_string(),
            live.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
        ];
        kept.sort();
        assert_eq!(left, kept, "{}: only old files of ours go", b.name);
        let swept = s
            .audit_entries(&pubdata_platform::store::AuditFilter {
                action: Some("dataset.sweep".into()),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(swept.len(), 1, "{}", b.name);
        assert!(
            swept[0]
                .record
                .detail
                .contains("3 scratch files removed (3000 bytes)"),
            "{}: {}",
            b.name,
            swept[0].record.detail
        );
        finish(b).await;
    }
}

#[tokio::test]
async fn a_stray_cell_of_a_workbook_is_named_by_place_never_by_value() {
    use sheets::Cell::S;
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let datasets = local_storage(dir.path()).expect("storage");
    let text = |v: &str| Some(S(v.to_string()));
    let stray = format!("张伟 {GOOD_ID} 13812345678");
    let header = vec![
        text("account"),
        text("usage_m3"),
        text("read_on"),
        text("holder_id"),
    ];
    let row = vec![text("A1"), text("1"), text("2026-10-01"), None];
    // A note typed beside the header, and one beside a row.
    let mut beside_header = header.clone();
    beside_header.extend([None, text(&stray)]);
    let mut beside_row = row.clone();
    beside_row.extend([None, text(&stray)]);
    for (name, rows, place) in [
        ("h.xlsx", vec![beside_header, row.clone()], "column 6"),
        ("r.xlsx", vec![header, beside_row], "cell F2"),
    ] {
        let xlsx = dir.path().join(name);
        sheets::write_xlsx(&xlsx, &[("抄表", rows)]);
        let mut up = upload(&xlsx, Mode::Append);
        up.source_name = "readings.xlsx";
        let err = ingest(&s, &datasets, &e, &up)
            .await
            .expect_err("stray cell");
        let text = err.to_string();
        assert!(text.contains(place), "{name}: {text}");
        for value in ["张伟", GOOD_ID, "13812345678"] {
            assert!(!text.contains(value), "{name}: {value} in {text}");
        }
    }
    for a in s
        .audit_entries(&pubdata_platform::store::AuditFilter::default())
        .await
        .expect("audit")
    {
        assert!(!a.record.detail.contains(GOOD_ID), "{}", a.record.detail);
    }
}

#[tokio::test]
async fn by_default_one_rejected_row_refuses_the_file_unless_the_uploader_allows_some() {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, e) = sqlite_readings(dir.path()).await;
    let datasets = local_storage(dir.path()).expect("storage");
    // Two rows of three pass; the third's usage is not a number.
    let f = write(
        dir.path(),
        "r.csv",
        b"account,usage_m3,read_on,holder_id\nA1,1,2026-10-01,\nA2,2,2026-10-01,\nA3,lots,2026-10-01,\n",
    );
    let strict = Upload {
        max_rejected: RejectLimit::default(),
        ..upload(&f, Mode::Append)
    };
    match ingest(&s, &datasets, &e, &strict).await {
        Err(IngestError::TooManyRejected { report, .. }) => {
            assert_eq!((report.rows_read, report.rows_rejected), (3, 1));
        }
        other => panic!("a rejected row should refuse the file: {other:?}"),
    }
    assert!(s.versions(&e.id).await.expect("versions").is_empty());
    assert!(
        files(dir.path()).iter().all(|f| !f.ends_with(".parquet")),
        "{:?}",
        files(dir.path())
    );
    // A limit the file exceeds refuses it too; one it meets keeps the rows that pass.
    for (limit, kept) in [
        ("10%", None),
        ("1", Some(2)),
        ("34%", Some(2)),
        ("all", Some(2)),
    ] {
        let u = Upload {
            max_rejected: limit.parse().expect("limit"),
            ..upload(&f, Mode::Replace)
        };
        let got = ingest(&s, &datasets, &e, &u).await;
        assert_eq!(got.as_ref().ok().map(|v| v.rows), kept, "{limit}: {got:?}");
    }
    for bad in ["-1", "150%", "some", "1.5"] {
        assert!(bad.parse::<RejectLimit>().is_err(), "{bad}");
    }
    s.close().await;
}
