//! The DataFusion path gives what the engine gives, and the SQL functions work as documented.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use pubdata_deid::apply::{CompiledPolicy, Resources, RunCounts};
use pubdata_deid::keys::Key;
use pubdata_deid::policy::Policy;
use pubdata_deid::transform::dates::Date;
use pubdata_query::{deid_frame, register_udfs};
use pubdata_tables::ReadOptions;

fn key() -> Key {
    Key::from_hex(&"3c".repeat(32), "test").expect("key")
}

fn resources() -> Resources {
    Resources {
        key: Some(key()),
        today: Date::new(2026, 11, 27),
        hierarchies: HashMap::new(),
    }
}

const CSV: &str = "id,phone,born,note,city,visit\n\
11010519491231002X,13812345678,1949-12-31,电话13812345678,杭州,2024-01-02\n\
110105194912310021,13987654321,1990-13-01,无,舟山,2024-02-03\n\
33010619900101123X,13700001111,1990-01-01,,宁波,2024-03-04\n";

fn policy(on_invalid: &str) -> String {
    format!(
        r#"version = 1
[dataset]
key_env = "K"
on_invalid = "{on_invalid}"
[columns.id]
op = "encrypt_fpe"
format = "resident_id"
[columns.phone]
op = "mask"
keep_first = 3
keep_last = 4
[columns.born]
op = "generalize"
to = "year"
[columns.note]
op = "redact"
[columns.city]
op = "keep"
[columns.visit]
op = "date_shift"
max_days = 30
by = "id"
[[suppress_rows]]
column = "city"
equals = ["宁波"]
"#
    )
}

fn input() -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temp");
    f.write_all(CSV.as_bytes()).expect("write");
    f
}

type Rows = Vec<Vec<Option<String>>>;

fn rows(batches: &[RecordBatch]) -> Rows {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(
                (0..b.num_columns())
                    .map(|c| {
                        let a = datafusion::arrow::compute::cast(b.column(c), &DataType::Utf8)
                            .expect("cast");
                        let s = a
                            .as_any()
                            .downcast_ref::<StringArray>()
                            .expect("strings")
                            .clone();
                        s.is_valid(r).then(|| s.value(r).to_string())
                    })
                    .collect(),
            );
        }
    }
    out
}

async fn via_datafusion(on_invalid: &str) -> Result<(Rows, RunCounts), String> {
    let file = input();
    let reader = pubdata_tables::open(file.path(), &ReadOptions::default()).expect("open");
    let p = Policy::parse(&policy(on_invalid)).expect("policy");
    let ctx = SessionContext::new();
    let (frame, counts) = deid_frame(&ctx, reader, &p, &resources()).expect("plan");
    let batches = frame.collect().await.map_err(|e| e.to_string())?;
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    Ok((rows(&batches), counts.finish(n as u64)))
}

fn via_engine(on_invalid: &str) -> Result<(Rows, RunCounts), String> {
    let file = input();
    let reader = pubdata_tables::open(file.path(), &ReadOptions::default()).expect("open");
    let p = Policy::parse(&policy(on_invalid)).expect("policy");
    let c = CompiledPolicy::compile(&p, &reader.schema(), &resources()).expect("compiles");
    let mut counts = RunCounts::default();
    let mut out = Vec::new();
    for batch in reader {
        out.push(
            c.apply(&batch.expect("batch"), counts.rows_in, &mut counts)
                .map_err(|e| e.to_string())?,
        );
    }
    Ok((rows(&out), counts))
}

#[tokio::test]
async fn the_plan_and_the_engine_agree_for_every_on_invalid() {
    for mode in ["null", "suppress_row"] {
        let (df, df_counts) = via_datafusion(mode).await.expect("plan runs");
        let (engine, engine_counts) = via_engine(mode).expect("engine runs");
        assert_eq!(df, engine, "on_invalid = {mode}");
        assert_eq!(
            serde_json::to_value(&df_counts).expect("json"),
            serde_json::to_value(&engine_counts).expect("json"),
            "on_invalid = {mode}"
        );
    }
    let (null_rows, counts) = via_datafusion("null").await.expect("runs");
    assert_eq!(null_rows.len(), 2, "the 宁波 row is suppressed by rule");
    assert_eq!(null_rows[1][0], None, "the bad ID is null");
    assert_eq!(null_rows[1][2], None, "the bad date is null");
    assert_eq!(null_rows[0][1].as_deref(), Some("138****5678"));
    assert_eq!(counts.rows_suppressed_by_rule, 1);
    let (suppressed, counts) = via_datafusion("suppress_row").await.expect("runs");
    assert_eq!(suppressed.len(), 1);
    assert_eq!(counts.rows_suppressed_invalid, 1);
}

#[tokio::test]
async fn fail_stops_the_plan_naming_row_and_column_only() {
    let err = via_datafusion("fail").await.expect_err("must fail");
    assert!(err.contains("row 2") && err.contains("\"id\""), "{err}");
    assert!(!err.contains("110105194912310021"), "{err}");
}

#[tokio::test]
async fn sql_functions() {
    let ctx = SessionContext::new();
    register_udfs(&ctx, Some(&key()), Date::new(2026, 11, 27).expect("date"));
    let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Utf8, true)]));
    let data = StringArray::from(vec![Some("13812345678"), Some("not a phone"), None]);
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(data)]).expect("batch");
    ctx.register_table(
        "t",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("table")),
    )
    .expect("register");
    let sql = "SELECT pd_mask(v, 3, 4) AS m, pd_encrypt_fpe(v, 'mobile') AS e, \
               pd_decrypt_fpe(pd_encrypt_fpe(v, 'mobile'), 'mobile') AS d, pd_pseudonymize(v) AS p, \
               pd_redact(concat('电话', v)) AS r FROM t";
    let batches = ctx
        .sql(sql)
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let r = rows(&batches);
    assert_eq!(r[0][0].as_deref(), Some("138****5678"));
    let e = r[0][1].clone().expect("encrypted");
    assert!(
        e.starts_with("138") && e.len() == 11 && e != "13812345678",
        "{e}"
    );
    assert_eq!(
        r[0][2].as_deref(),
        Some("13812345678"),
        "decrypt reverses encrypt"
    );
    assert_eq!(r[0][3].as_ref().map(String::len), Some(16));
    assert_eq!(r[0][4].as_deref(), Some("电话[cn_mobile]"));
    assert_eq!(
        r[1][1], None,
        "a value that is not a mobile becomes NULL, not the clear value"
    );
    assert_eq!(r[2][0], None);

    let no_key = SessionContext::new();
    register_udfs(&no_key, None, Date::new(2026, 11, 27).expect("date"));
    assert!(
        no_key.sql("SELECT pd_pseudonymize('x')").await.is_err(),
        "keyed functions need a key"
    );
}
