//! SQL over dataset versions whose parts sit in an object store: a local folder (read in place) or
//! any other store (read through a temporary copy), with only the named tables looked up.

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use pubdata_query::datasets::{DatasetTable, QueryLimits, query_datasets, referenced_tables};
use pubdata_tables::{Format, TableWriter};

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("street", DataType::Utf8, true),
        Field::new("usage_m3", DataType::Float64, true),
    ]))
}

/// A Parquet part's bytes with the given rows.
fn part(rows: &[(&str, f64)]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("p.parquet");
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
        ],
    )
    .expect("batch");
    let mut w = TableWriter::create(&path, Format::Parquet, schema()).expect("writer");
    w.write(&batch).expect("write");
    w.finish().expect("finish");
    std::fs::read(&path).expect("read")
}

async fn put(store: &dyn ObjectStore, name: &str, bytes: Vec<u8>) -> ObjectPath {
    let path = ObjectPath::parse(name).expect("path");
    store
        .put(&path, PutPayload::from(bytes))
        .await
        .expect("put");
    path
}

#[tokio::test]
async fn parts_are_read_from_a_local_folder_and_from_any_other_store_alike() {
    let dir = tempfile::tempdir().expect("tmp");
    let local: Arc<dyn ObjectStore> =
        Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("local"));
    let memory: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let scratch = tempfile::tempdir().expect("scratch");
    for store in [local, memory] {
        let a = put(
            &*store,
            "e-x/part-a.parquet",
            part(&[("西湖", 1.5), ("上城", 2.0)]),
        )
        .await;
        let b = put(&*store, "e-x/part-b.parquet", part(&[("拱墅", 4.0)])).await;
        let tables = vec![
            DatasetTable {
                name: "e_x".into(),
                schema: schema(),
                objects: store.clone(),
                parts: vec![a.clone(), b],
                scratch: scratch.path().to_path_buf(),
            },
            DatasetTable {
                name: "e_x_v1".into(),
                schema: schema(),
                objects: store.clone(),
                parts: vec![a],
                scratch: scratch.path().to_path_buf(),
            },
        ];
        let r = query_datasets(
            &tables,
            "SELECT (SELECT SUM(usage_m3) FROM e_x) AS now, (SELECT COUNT(*) FROM e_x_v1) AS first",
            &QueryLimits {
                rows: 10,
                ..QueryLimits::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{store}: {e}"));
        assert_eq!(
            std::fs::read_dir(scratch.path()).expect("scratch").count(),
            0,
            "copies of remote parts are gone once read"
        );
        // Numbers come back as JSON numbers, with their types.
        assert_eq!(
            r.rows,
            vec![vec![serde_json::json!(7.5), serde_json::json!(2)]],
            "{store}"
        );
        assert_eq!(r.types, ["decimal", "integer"], "{store}");

        // A part that is gone is an error naming it, not an empty table.
        let gone = DatasetTable {
            name: "e_gone".into(),
            schema: schema(),
            objects: store.clone(),
            parts: vec![ObjectPath::parse("e-gone/part-z.parquet").expect("path")],
            scratch: scratch.path().to_path_buf(),
        };
        let err = query_datasets(
            &[gone],
            "SELECT COUNT(*) FROM e_gone",
            &QueryLimits::default(),
        )
        .await
        .expect_err("missing part");
        let text = err.to_string();
        assert!(text.contains("e-gone/part-z.parquet"), "{store}: {text}");
        assert!(
            !text.contains(&dir.path().display().to_string()) && !text.contains("/tmp"),
            "no server folder in the message: {text}"
        );
    }
}

#[test]
fn only_the_tables_a_query_names_are_looked_up() {
    let names = referenced_tables(
        "WITH t AS (SELECT * FROM e_a) SELECT * FROM t JOIN e_b_v2 ON true WHERE x IN (SELECT y FROM E_A)",
    )
    .expect("parse");
    assert_eq!(names.tables, vec!["e_a".to_string(), "e_b_v2".to_string()]);
    assert!(!names.information_schema);
    let catalog = referenced_tables(
        "SELECT c.column_name FROM information_schema.columns c JOIN e_a ON true",
    )
    .expect("parse");
    assert_eq!(catalog.tables, vec!["e_a".to_string()]);
    assert!(catalog.information_schema);
    assert!(referenced_tables("SELEC nonsense").is_err());
}

/// A part of one integer column `n` with the given values.
fn int_part(values: &[i64]) -> Vec<u8> {
    use datafusion::arrow::array::Int64Array;
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("p.parquet");
    let schema: SchemaRef = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(values.to_vec()))],
    )
    .expect("batch");
    let mut w = TableWriter::create(&path, Format::Parquet, schema).expect("writer");
    w.write(&batch).expect("write");
    w.finish().expect("finish");
    std::fs::read(&path).expect("read")
}

#[tokio::test]
async fn a_version_whose_parts_disagree_is_refused_by_name_never_a_panic() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let scratch = tempfile::tempdir().expect("scratch");
    let old = put(&*store, "e-x/part-old.parquet", part(&[("西湖", 1.5)])).await;
    let new = put(&*store, "e-x/part-new.parquet", int_part(&[7])).await;
    // A version whose parts disagree is an error naming the part, never a panic.
    let mixed = DatasetTable {
        name: "e_x".into(),
        schema: schema(),
        objects: store.clone(),
        parts: vec![old, new],
        scratch: scratch.path().to_path_buf(),
    };
    let err = query_datasets(
        &[mixed],
        "SELECT street FROM e_x ORDER BY street",
        &QueryLimits::default(),
    )
    .await
    .expect_err("mixed parts");
    assert!(err.to_string().contains("part-new"), "{err}");
}

#[tokio::test]
async fn answers_stop_at_the_byte_limit_and_plans_at_the_memory_limit() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let scratch = tempfile::tempdir().expect("scratch");
    let values: Vec<i64> = (0..20_000).collect();
    let p = put(&*store, "e-n/part-a.parquet", int_part(&values)).await;
    let table = DatasetTable {
        name: "e_n".into(),
        schema: Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)])),
        objects: store.clone(),
        parts: vec![p],
        scratch: scratch.path().to_path_buf(),
    };
    let r = query_datasets(
        std::slice::from_ref(&table),
        "SELECT repeat('x', 1000) AS big FROM e_n",
        &QueryLimits {
            rows: 10_000,
            bytes: 50_000,
            ..QueryLimits::default()
        },
    )
    .await
    .expect("query");
    assert!(r.truncated);
    assert!(r.rows.len() <= 50, "{} rows", r.rows.len());
    let err = query_datasets(
        &[table],
        "SELECT a.n, b.n FROM e_n a, e_n b ORDER BY a.n + b.n DESC",
        &QueryLimits {
            memory: 1 << 20,
            ..QueryLimits::default()
        },
    )
    .await
    .expect_err("over the memory limit");
    assert!(
        err.to_string()
            .to_lowercase()
            .contains("resources exhausted"),
        "{err}"
    );
}
