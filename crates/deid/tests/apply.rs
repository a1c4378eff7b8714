//! A policy applied to batches: every operator, every `on_invalid`, and the promise that no value
//! an operator cannot parse is ever written in the clear.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use pubdata_deid::apply::{ApplyError, CompiledPolicy, Resources, RunCounts};
use pubdata_deid::keys::Key;
use pubdata_deid::policy::Policy;
use pubdata_deid::transform::dates::Date;
use pubdata_deid::transform::hierarchy::Hierarchy;

fn batch(cols: &[(&str, Vec<Option<&str>>)]) -> RecordBatch {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, _)| Field::new(*n, DataType::Utf8, true))
        .collect();
    let arrays = cols
        .iter()
        .map(|(_, v)| Arc::new(StringArray::from(v.clone())) as Arc<dyn Array>)
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch")
}

fn resources() -> Resources {
    let mut hierarchies = HashMap::new();
    hierarchies.insert(
        "age.csv".to_string(),
        Arc::new(Hierarchy::parse("34;30-34;*\n35;35-39;*\n").expect("h")),
    );
    Resources {
        key: Some(Key::from_hex(&"5a".repeat(32), "test").expect("key")),
        today: Date::new(2026, 11, 27),
        hierarchies,
    }
}

fn run(policy: &str, b: &RecordBatch) -> Result<(RecordBatch, RunCounts), ApplyError> {
    let p = Policy::parse(policy).expect("policy parses");
    let c = CompiledPolicy::compile(&p, &b.schema(), &resources()).expect("compiles");
    let mut counts = RunCounts::default();
    c.apply(b, 100, &mut counts).map(|out| (out, counts))
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a StringArray {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .expect("string column")
}

fn all_values(b: &RecordBatch) -> Vec<String> {
    (0..b.num_columns())
        .flat_map(|i| {
            let a = b
                .column(i)
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("strings")
                .clone();
            a.iter().flatten().map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

const HEADER: &str = "version = 1\n[dataset]\nkey_env = \"K\"\non_invalid = \"ON_INVALID\"\n";

/// One column per operator that parses its input, each given one valid and one invalid value.
fn every_parsing_operator(on_invalid: &str) -> (String, RecordBatch) {
    let policy = HEADER.replace("ON_INVALID", on_invalid)
        + r#"
[columns.id]
op = "encrypt_fpe"
format = "resident_id"
keep_birth = true
[columns.card]
op = "encrypt_fpe"
format = "bank_card"
[columns.born]
op = "generalize"
to = "age_band"
[columns.code]
op = "generalize"
to = "city"
[columns.age]
op = "generalize"
hierarchy = "age.csv"
level = 1
[columns.income]
op = "noise"
scale = 10
bound = 50
[columns.visit]
op = "date_shift"
max_days = 10
by = "pid"
[columns.pid]
op = "pseudonymize"
length = 12
"#;
    let b = batch(&[
        (
            "id",
            vec![Some("11010519491231002X"), Some("110105194912310021")],
        ),
        (
            "card",
            vec![Some("6222021234567890128"), Some("6222021234567890127")],
        ),
        ("born", vec![Some("1990-05-01"), Some("1990-13-01")]),
        ("code", vec![Some("330106"), Some("SECRET")]),
        ("age", vec![Some("34"), Some("341")]),
        ("income", vec![Some("5000"), Some("about 5k")]),
        ("visit", vec![Some("2024-01-02"), Some("2024-01-02")]),
        ("pid", vec![Some("p1"), None]),
    ]);
    (policy, b)
}

const INVALID_VALUES: &[&str] = &[
    "110105194912310021",
    "6222021234567890127",
    "1990-13-01",
    "SECRET",
    "341",
    "about 5k",
];

#[test]
fn fail_names_the_row_and_column_but_not_the_value() {
    let (policy, b) = every_parsing_operator("fail");
    let err = run(&policy, &b)
        .expect_err("invalid values must stop the run")
        .to_string();
    assert!(err.contains("row 102") && err.contains("\"id\""), "{err}");
    for v in INVALID_VALUES {
        assert!(!err.contains(v), "the error leaks {v}: {err}");
    }
}

#[test]
fn null_replaces_every_invalid_value_and_counts_it() {
    let (policy, b) = every_parsing_operator("null");
    let (out, counts) = run(&policy, &b).expect("runs");
    assert_eq!(out.num_rows(), 2);
    let values = all_values(&out);
    for v in INVALID_VALUES {
        assert!(
            !values.iter().any(|x| x.contains(v)),
            "{v} passed through in the clear"
        );
    }
    // Row 2 of every parsing column is null; the shift of row 2 has no person to key it.
    for name in ["id", "card", "born", "code", "age", "income", "visit"] {
        assert!(col(&out, name).is_valid(0), "{name} row 1 is valid");
        assert!(col(&out, name).is_null(1), "{name} row 2 must be null");
    }
    assert_eq!(counts.values_nulled, 7);
    assert_eq!(counts.columns["id"].counts.invalid, 1);
    assert_eq!(counts.columns["id"].counts.values, 1);
}

#[test]
fn suppress_row_leaves_out_rows_with_invalid_values() {
    let (policy, b) = every_parsing_operator("suppress_row");
    let (out, counts) = run(&policy, &b).expect("runs");
    assert_eq!(out.num_rows(), 1);
    assert_eq!(counts.rows_suppressed_invalid, 1);
    assert_eq!((counts.rows_in, counts.rows_out), (2, 1));
    assert_eq!(col(&out, "code").value(0), "330100");
    assert_eq!(col(&out, "age").value(0), "30-34");
    assert_eq!(col(&out, "born").value(0), "30-39");
}

#[test]
fn keep_drop_mask_redact_and_rules() {
    let policy = HEADER.replace("ON_INVALID", "fail")
        + r#"
[columns.name]
op = "drop"
[columns.mobile]
op = "mask"
keep_first = 3
keep_last = 4
[columns.note]
op = "redact"
[columns.city]
op = "keep"
[columns.age]
op = "keep"

[[suppress_rows]]
column = "city"
equals = ["舟山"]
[[suppress_rows]]
column = "age"
above = 90
"#;
    let b = batch(&[
        ("name", vec![Some("张伟"), Some("李娜"), Some("王芳")]),
        (
            "mobile",
            vec![Some("13812345678"), None, Some("13987654321")],
        ),
        (
            "note",
            vec![Some("联系电话13812345678"), Some("无"), Some("")],
        ),
        ("city", vec![Some("杭州"), Some("舟山"), Some("宁波")]),
        ("age", vec![Some("40"), Some("50"), Some("95")]),
    ]);
    let (out, counts) = run(&policy, &b).expect("runs");
    assert!(
        out.column_by_name("name").is_none(),
        "dropped columns are not written"
    );
    assert_eq!(out.num_rows(), 1);
    assert_eq!(col(&out, "mobile").value(0), "138****5678");
    assert_eq!(col(&out, "note").value(0), "联系电话[cn_mobile]");
    assert_eq!(col(&out, "city").value(0), "杭州");
    assert_eq!(counts.rows_suppressed_by_rule, 2);
}

#[test]
fn a_suppression_rule_that_cannot_compare_follows_on_invalid() {
    let policy = HEADER.replace("ON_INVALID", "fail")
        + "[columns.age]\nop = \"keep\"\n[[suppress_rows]]\ncolumn = \"age\"\nbelow = 18\n";
    let b = batch(&[("age", vec![Some("40"), Some("unknown")])]);
    assert!(
        run(&policy, &b).is_err(),
        "a minor's row must not slip through an unparsable age"
    );
}

#[test]
fn keyed_operators_follow_the_key() {
    let policy = HEADER.replace("ON_INVALID", "fail")
        + "[columns.id]\nop = \"encrypt_fpe\"\nformat = \"resident_id\"\n[columns.pid]\nop = \"pseudonymize\"\n[columns.visit]\nop = \"date_shift\"\nmax_days = 3650\nby = \"pid\"\n";
    let b = batch(&[
        ("id", vec![Some("11010519491231002X")]),
        ("pid", vec![Some("p-0001")]),
        ("visit", vec![Some("2024-01-02")]),
    ]);
    let p = Policy::parse(&policy).expect("policy");
    let with = |hex: &str| {
        let mut res = resources();
        res.key = Some(Key::from_hex(hex, "t").expect("key"));
        let c = CompiledPolicy::compile(&p, &b.schema(), &res).expect("compiles");
        all_values(&c.apply(&b, 0, &mut RunCounts::default()).expect("runs"))
    };
    let (a1, a2, b1) = (
        with(&"11".repeat(32)),
        with(&"11".repeat(32)),
        with(&"22".repeat(32)),
    );
    assert_eq!(a1, a2);
    for i in 0..3 {
        assert_ne!(a1[i], b1[i], "column {i} must change with the key");
    }
}
