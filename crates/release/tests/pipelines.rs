//! The pipelines as every door runs them: from a file or a dataset version's parts, to a file or
//! a stored object, whole or not at all, cancellable, with policies stored on the platform
//! refused when they name files.

use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use object_store::ObjectStoreExt;
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::JobKind;
use pubdata_release::{Control, Input, Output, PolicySource, ReleaseError};
use pubdata_tables::{Format, ReadOptions, TableWriter};

const POLICY: &str = r#"version = 1
[columns.mobile]
op = "mask"
keep_first = 3
keep_last = 4
[columns.note]
op = "redact"
[columns.usage]
op = "keep"
"#;

fn stored(text: &str) -> PolicySource {
    PolicySource {
        label: "policy test".into(),
        text: text.into(),
        base: None,
    }
}

fn batch(rows: &[(&str, &str, &str)]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("mobile", DataType::Utf8, true),
        Field::new("note", DataType::Utf8, true),
        Field::new("usage", DataType::Utf8, true),
    ]));
    let col = |i: usize| -> Arc<StringArray> {
        Arc::new(StringArray::from(
            rows.iter().map(|r| [r.0, r.1, r.2][i]).collect::<Vec<_>>(),
        ))
    };
    RecordBatch::try_new(schema, vec![col(0), col(1), col(2)]).expect("batch")
}

fn write_parquet(path: &std::path::Path, b: &RecordBatch) {
    let mut w = TableWriter::create(path, Format::Parquet, b.schema()).expect("writer");
    w.write(b).expect("write");
    w.finish().expect("finish");
}

const ROWS_A: &[(&str, &str, &str)] = &[
    ("13812345678", "联系人张伟，电话13812345678", "12.5"),
    ("13987654321", "王芳来电", "8.0"),
];
const ROWS_B: &[(&str, &str, &str)] =
    &[("15011112222", "李娜的地址是杭州市西湖区文三路90号", "3.2")];

/// A local dataset location with the two parts of one version, as an ingest writes them.
async fn location(dir: &std::path::Path) -> DatasetStorage {
    let storage =
        DatasetStorage::local(&dir.join("datasets"), &dir.join("scratch")).expect("storage");
    for (name, rows) in [("a", ROWS_A), ("b", ROWS_B)] {
        let file = dir.join(format!("{name}.parquet"));
        write_parquet(&file, &batch(rows));
        storage
            .put_file(&format!("e-x/part-{name}.parquet"), &file)
            .await
            .expect("put");
    }
    storage
}

fn read_all(path: &std::path::Path) -> String {
    let reader = pubdata_tables::open(path, &ReadOptions::default()).expect("open");
    let mut text = String::new();
    for b in reader {
        let b = b.expect("batch");
        for c in b.columns() {
            let s = pubdata_tables::cast_to_utf8(c).expect("text");
            for v in s.iter().flatten() {
                text.push_str(v);
                text.push('\n');
            }
        }
    }
    text
}

fn assert_no_raw_identifiers(text: &str) {
    for raw in [
        "13812345678",
        "13987654321",
        "15011112222",
        "张伟",
        "王芳",
        "李娜",
        "文三路90号",
    ] {
        assert!(!text.contains(raw), "{raw} left in the clear:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_read_from_its_parts_is_released_as_a_new_object() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = location(dir.path()).await;
    let parts = vec![
        "e-x/part-a.parquet".to_string(),
        "e-x/part-b.parquet".to_string(),
    ];
    let input = Input::version(&storage, "e_x_v1", &parts)
        .await
        .expect("input");
    let output = Output::Object {
        storage: storage.clone(),
        key: "releases/j-1/data.parquet".into(),
    };
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let control = Control::with_progress(move |p| log.lock().expect("lock").push(p));
    let report = tokio::task::spawn_blocking(move || {
        pubdata_release::deid::deid(&stored(POLICY), &input, &output, &control)
    })
    .await
    .expect("join")
    .expect("deid");
    assert_eq!(report.counts.rows_in, 3);
    assert_eq!(report.counts.rows_out, 3);
    assert_eq!(report.input.path, "e_x_v1");
    assert_eq!(report.output.path, "releases/j-1/data.parquet");
    assert!(seen.lock().expect("lock").iter().any(|p| p.rows == 3));

    let got = storage
        .objects()
        .get(&DatasetStorage::path("releases/j-1/data.parquet").expect("path"))
        .await
        .expect("object")
        .bytes()
        .await
        .expect("bytes");
    let copy = dir.path().join("copy.parquet");
    std::fs::write(&copy, &got).expect("copy");
    assert_eq!(
        pubdata_release::Input::file(&copy, ReadOptions::default())
            .sha256()
            .expect("hash"),
        report.output.sha256,
        "the report names the object's bytes"
    );
    let text = read_all(&copy);
    assert_no_raw_identifiers(&text);
    assert!(text.contains("138****5678"), "{text}");
    assert!(text.contains("12.5"), "kept columns stay: {text}");
    // Nothing of the run stays in the scratch folder.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("scratch"))
        .expect("scratch")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_cancelled_run_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("in.parquet");
    write_parquet(&file, &batch(ROWS_A));
    let out = dir.path().join("out.csv");
    let control = Control::default();
    control.cancel();
    let input = Input::file(&file, ReadOptions::default());
    let got = pubdata_release::deid::deid(
        &stored(POLICY),
        &input,
        &Output::File(out.clone()),
        &control,
    );
    assert!(matches!(got, Err(ReleaseError::Cancelled)), "{got:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["in.parquet"], "nothing written");

    // Without the cancel the same run writes the file.
    pubdata_release::deid::deid(
        &stored(POLICY),
        &input,
        &Output::File(out.clone()),
        &Control::default(),
    )
    .expect("deid");
    assert_no_raw_identifiers(&std::fs::read_to_string(&out).expect("out"));
}

#[tokio::test(flavor = "multi_thread")]
async fn parts_with_other_columns_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let storage = location(dir.path()).await;
    let other = dir.path().join("other.parquet");
    let b = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)])),
        vec![Arc::new(StringArray::from(vec!["1"]))],
    )
    .expect("batch");
    write_parquet(&other, &b);
    storage
        .put_file("e-x/part-c.parquet", &other)
        .await
        .expect("put");
    let parts = vec![
        "e-x/part-a.parquet".to_string(),
        "e-x/part-c.parquet".to_string(),
    ];
    let input = Input::version(&storage, "e_x_v2", &parts)
        .await
        .expect("input");
    let err = input.open().expect_err("mixed parts");
    assert_eq!(
        err.to_string(),
        "e_x_v2: part 2 has other columns than the first part"
    );
}

#[test]
fn a_stored_policy_may_not_name_files_and_must_parse() {
    let with_hierarchy =
        format!("{POLICY}[columns.extra]\nop = \"generalize\"\nhierarchy = \"h.csv\"\nlevel = 1\n");
    let err = pubdata_release::check_stored_policy(JobKind::Deid, &stored(&with_hierarchy))
        .expect_err("file named");
    assert!(err.to_string().contains("cannot name files"), "{err}");

    let broken = POLICY.replace("op = \"mask\"", "op = \"maskk\"");
    let err = pubdata_release::check_stored_policy(JobKind::Deid, &stored(&broken))
        .expect_err("unknown operator");
    assert!(err.to_string().starts_with("policy test:2:"), "{err}");

    pubdata_release::check_stored_policy(JobKind::Deid, &stored(POLICY)).expect("fine");

    let anonymize = "[anonymize]\nkeep = []\nquasi_identifiers = [{ column = \"age\", hierarchy = { file = \"age.csv\" } }]\n[anonymize.requirements]\nk = 2\n";
    let err = pubdata_release::check_stored_policy(JobKind::Anonymize, &stored(anonymize))
        .expect_err("file named");
    assert!(err.to_string().contains("cannot name files"), "{err}");
}

#[test]
fn reidentify_restores_what_encrypt_fpe_hid_and_names_a_value_that_does_not_decrypt() {
    let dir = tempfile::tempdir().expect("dir");
    let key = pubdata_deid::keys::Key::generate().expect("key");
    std::fs::write(dir.path().join("k.key"), key.to_hex()).expect("key file");
    let text = "version = 1\n[dataset]\nkey_file = \"k.key\"\n[columns.mobile]\nop = \"encrypt_fpe\"\nformat = \"mobile\"\n[columns.note]\nop = \"drop\"\n[columns.usage]\nop = \"keep\"\n";
    let policy = PolicySource {
        label: "p.toml".into(),
        text: text.into(),
        base: Some(dir.path().to_path_buf()),
    };
    let input = dir.path().join("in.parquet");
    write_parquet(&input, &batch(ROWS_A));
    let hidden = dir.path().join("hidden.csv");
    pubdata_release::deid::deid(
        &policy,
        &Input::file(&input, ReadOptions::default()),
        &Output::File(hidden.clone()),
        &Control::default(),
    )
    .expect("deid");
    let hidden_text = std::fs::read_to_string(&hidden).expect("hidden");
    assert!(!hidden_text.contains("13812345678"), "{hidden_text}");

    let back = dir.path().join("back.csv");
    let done = pubdata_release::reidentify::reidentify(
        &policy,
        &Input::file(&hidden, ReadOptions::default()),
        &Output::File(back.clone()),
        &Control::default(),
    )
    .expect("reidentify");
    assert_eq!((done.rows, done.values, done.columns), (2, 2, 1));
    let restored = std::fs::read_to_string(&back).expect("back");
    assert!(
        restored.contains("13812345678") && restored.contains("13987654321"),
        "{restored}"
    );

    // A value that is not a ciphertext of this format stops the run by row and column.
    let tampered = dir.path().join("tampered.csv");
    std::fs::write(&tampered, hidden_text.replacen("\n1", "\nx1", 1)).expect("tampered");
    let out = dir.path().join("never.csv");
    let err = pubdata_release::reidentify::reidentify(
        &policy,
        &Input::file(&tampered, ReadOptions::default()),
        &Output::File(out.clone()),
        &Control::default(),
    )
    .expect_err("not a ciphertext");
    assert!(
        err.to_string().contains("row 1, column \"mobile\""),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}
