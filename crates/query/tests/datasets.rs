//! SQL over dataset versions whose parts sit in an object store: a local folder (read in place) or
//! any other store (read through a temporary copy), with only the named tables looked up.

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use pubdata_query::datasets::{DatasetTable, query_datasets, referenced_tables};
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
            10,
        )
        .await
        .unwrap_or_else(|e| panic!("{store}: {e}"));
        assert_eq!(
            std::fs::read_dir(scratch.path()).expect("scratch").count(),
            0,
            "copies of remote parts are gone once read"
        );
        assert_eq!(
            r.rows,
            vec![vec![Some("7.5".to_string()), Some("2".to_string())]],
            "{store}"
        );

        // A part that is gone is an error naming it, not an empty table.
        let gone = DatasetTable {
            name: "e_gone".into(),
            schema: schema(),
            objects: store.clone(),
            parts: vec![ObjectPath::parse("e-gone/part-z.parquet").expect("path")],
            scratch: scratch.path().to_path_buf(),
        };
        let err = query_datasets(&[gone], "SELECT COUNT(*) FROM e_gone", 10)
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
    assert_eq!(names, vec!["e_a".to_string(), "e_b_v2".to_string()]);
    assert!(referenced_tables("SELEC nonsense").is_err());
}
