//! XLSX and Parquet reading, and the atomic writers.

mod common;

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use common::*;
use pubdata_tables::{Format, ReadOptions, TableWriter, cast_to_utf8, open};

#[test]
fn xlsx_first_sheet_values_rendered_as_strings() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("people.xlsx");
    let people = vec![
        vec![],
        vec![
            None,
            s("姓名"),
            s("编号"),
            s("分数"),
            s("生日"),
            s("党员"),
            s("名字"),
        ],
        vec![
            None,
            s("张三"),
            s("007"),
            n("95"),
            Some(Cell::D(45943.0)),
            Some(Cell::B(true)),
            s("x"),
        ],
        vec![],
        vec![
            None,
            s("李四"),
            None,
            n("0.1"),
            None,
            Some(Cell::B(false)),
            None,
        ],
        vec![None, None, n("1234567890123"), n("-2.5E-3")],
    ];
    write_xlsx(&p, &[("人员", people), ("Other", vec![vec![s("z")]])]);
    let r = open(&p, &opts()).unwrap();
    assert_eq!(r.format(), Format::Xlsx);
    assert_eq!(r.encoding(), None);
    let (names, rows) = read_all(&p, &opts()).unwrap();
    assert_eq!(names, ["姓名", "编号", "分数", "生日", "党员", "名字"]);
    assert_eq!(
        rows,
        vec![
            row(&[
                Some("张三"),
                Some("007"),
                Some("95"),
                Some("2025-10-13"),
                Some("true"),
                Some("x")
            ]),
            row(&[Some("李四"), None, Some("0.1"), None, Some("false"), None]),
            row(&[
                None,
                Some("1234567890123"),
                Some("-0.0025"),
                None,
                None,
                None
            ]),
        ]
    );
    // Batching and progress.
    let o = ReadOptions {
        batch_size: 2,
        ..opts()
    };
    let mut r = open(&p, &o).unwrap();
    let sizes: Vec<_> = r.by_ref().map(|b| b.unwrap().num_rows()).collect();
    assert_eq!(sizes, [2, 1]);
    assert_eq!(Some(r.bytes_read()), r.total_bytes());
}

#[test]
fn xlsx_named_sheet_unknown_sheet_and_dup_headers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("book.xlsm");
    write_xlsx(
        &p,
        &[
            ("A", vec![vec![s("x")]]),
            (
                "B",
                vec![
                    vec![s("k"), s("k"), None, s("v")],
                    vec![n("1"), n("2"), n("3"), n("4")],
                ],
            ),
        ],
    );
    let o = ReadOptions {
        sheet: Some("B".into()),
        ..opts()
    };
    let (names, rows) = read_all(&p, &o).unwrap();
    assert_eq!(names, ["k", "k_2", "column_3", "v"]);
    assert_eq!(
        rows,
        vec![row(&[Some("1"), Some("2"), Some("3"), Some("4")])]
    );
    let o = ReadOptions {
        sheet: Some("Nope".into()),
        ..opts()
    };
    let err = open(&p, &o).unwrap_err().to_string();
    assert!(
        err.contains("book.xlsm: sheet \"Nope\" not found (available: \"A\", \"B\")"),
        "{err}"
    );
}

#[test]
fn xlsx_value_outside_header_is_an_error_naming_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.xlsx");
    write_xlsx(
        &p,
        &[(
            "S",
            vec![
                vec![s("a"), s("b")],
                vec![n("1"), n("2")],
                vec![n("1"), n("2"), s("note")],
            ],
        )],
    );
    let err = read_all(&p, &opts()).unwrap_err().to_string();
    assert!(err.contains("wide.xlsx: sheet \"S\", cell C3:"), "{err}");
    // Without a header, data may be wider in later rows only up to <dimension>;
    // our fixture has none, so the same file still errors at C3.
    let o = ReadOptions {
        has_header: false,
        ..opts()
    };
    assert!(
        read_all(&p, &o)
            .unwrap_err()
            .to_string()
            .contains("cell C3")
    );
}

#[test]
fn xlsx_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nohdr.xlsx");
    write_xlsx(
        &p,
        &[(
            "S",
            vec![vec![None, s("a"), n("1")], vec![None, s("b"), n("2")]],
        )],
    );
    let o = ReadOptions {
        has_header: false,
        ..opts()
    };
    let (names, rows) = read_all(&p, &o).unwrap();
    assert_eq!(names, ["column_1", "column_2"]);
    assert_eq!(
        rows,
        vec![row(&[Some("a"), Some("1")]), row(&[Some("b"), Some("2")])]
    );
}

#[test]
fn xlsx_empty_and_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("blank.xlsx");
    write_xlsx(&p, &[("S", vec![])]);
    assert!(
        open(&p, &opts())
            .unwrap_err()
            .to_string()
            .contains("file is empty")
    );
    let p = write_file(
        dir.path(),
        "x.xlsx",
        b"this is not a zip file at all, just some bytes",
    );
    let err = open(&p, &opts()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: cannot open workbook: ", p.display())),
        "{err}"
    );
    assert!(!err.contains('\n'));
}

fn sample_batch() -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("n", DataType::Int64, true),
        Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![
            Some("007"),
            None,
            Some("a,\"b\"\nc"),
        ])),
        Arc::new(Int64Array::from(vec![Some(1), Some(-2), None])),
        Arc::new(TimestampMillisecondArray::from(vec![
            Some(0),
            None,
            Some(1_700_000_000_000),
        ])),
    ];
    RecordBatch::try_new(schema, cols).unwrap()
}

fn dir_entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn parquet_round_trip_keeps_types() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.parquet");
    let batch = sample_batch();
    let mut w = TableWriter::create(&p, Format::Parquet, batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.write(&batch).unwrap();
    assert!(!p.exists(), "target must not exist before finish");
    assert_eq!(w.finish().unwrap(), 6);
    assert_eq!(dir_entries(dir.path()), ["out.parquet"]);
    let o = ReadOptions {
        batch_size: 3,
        ..opts()
    };
    let mut r = open(&p, &o).unwrap();
    assert_eq!(r.schema(), batch.schema());
    assert_eq!(r.encoding(), None);
    let batches: Vec<_> = r.by_ref().map(Result::unwrap).collect();
    assert_eq!(batches, [batch.clone(), batch]);
    assert_eq!(Some(r.bytes_read()), r.total_bytes());
}

#[test]
fn corrupt_and_truncated_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "x.parquet", b"PAR1 definitely not parquet PAR1");
    let err = open(&p, &opts()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: not a Parquet file (corrupt footer): ",
            p.display()
        )),
        "{err}"
    );
    let good = dir.path().join("good.parquet");
    let batch = sample_batch();
    let mut w = TableWriter::create(&good, Format::Parquet, batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let p = write_file(dir.path(), "trunc.parquet", &bytes[..bytes.len() / 2]);
    let err = open(&p, &opts()).unwrap_err().to_string();
    assert!(err.contains("trunc.parquet: not a Parquet file"), "{err}");
}

#[test]
fn csv_and_tsv_writers_render_any_type() {
    let dir = tempfile::tempdir().unwrap();
    let batch = sample_batch();
    for (name, format) in [("out.csv", Format::Csv), ("out.tsv", Format::Tsv)] {
        let p = dir.path().join(name);
        let mut w = TableWriter::create(&p, format, batch.schema()).unwrap();
        w.write(&batch).unwrap();
        assert!(!p.exists());
        assert_eq!(w.finish().unwrap(), 3);
        let (names, rows) = read_all(&p, &opts()).unwrap();
        assert_eq!(names, ["id", "n", "t"]);
        assert_eq!(
            rows,
            vec![
                row(&[Some("007"), Some("1"), Some("1970-01-01T00:00:00")]),
                row(&[None, Some("-2"), None]),
                row(&[Some("a,\"b\"\nc"), None, Some("2023-11-14T22:13:20")]),
            ],
            "{name}"
        );
    }
    let text = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(text.starts_with("id,n,t\n007,1,"), "{text}");
}

#[test]
fn dropped_or_failed_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let batch = sample_batch();
    for format in [Format::Csv, Format::Parquet] {
        let p = dir.path().join(format!("x.{}", format.name()));
        let mut w = TableWriter::create(&p, format, batch.schema()).unwrap();
        w.write(&batch).unwrap();
        assert_eq!(
            dir_entries(dir.path()).len(),
            1,
            "temp file exists while writing"
        );
        assert!(dir_entries(dir.path())[0].starts_with(&format!(".x.{}.", format.name())));
        drop(w);
        assert!(
            dir_entries(dir.path()).is_empty(),
            "{:?}",
            dir_entries(dir.path())
        );
    }
    // A batch with the wrong shape fails and removes the temp file at once.
    let p = dir.path().join("y.csv");
    let mut w = TableWriter::create(&p, Format::Csv, batch.schema()).unwrap();
    let other = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, true)])),
        vec![Arc::new(StringArray::from(vec!["x"])) as ArrayRef],
    )
    .unwrap();
    let err = w.write(&other).unwrap_err().to_string();
    assert!(
        err.contains("y.csv: cannot write: batch has 1 columns, schema has 3"),
        "{err}"
    );
    assert!(dir_entries(dir.path()).is_empty());
    assert!(w.finish().is_err());
    // Unsupported output formats are refused up front.
    let err =
        TableWriter::create(&dir.path().join("z.xlsx"), Format::Xlsx, batch.schema()).unwrap_err();
    assert!(
        err.to_string()
            .contains("z.xlsx: cannot write: writing xlsx is not supported"),
        "{err}"
    );
    // finish replaces an existing file.
    let p = dir.path().join("keep.csv");
    std::fs::write(&p, "old\n").unwrap();
    let mut w = TableWriter::create(&p, Format::Csv, batch.schema()).unwrap();
    w.write(&batch).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old\n");
    w.finish().unwrap();
    assert!(std::fs::read_to_string(&p).unwrap().starts_with("id,n,t\n"));
}

#[test]
fn cast_to_utf8_handles_any_type() {
    let batch = sample_batch();
    let ints = cast_to_utf8(batch.column(1)).unwrap();
    assert_eq!(
        ints.iter().collect::<Vec<_>>(),
        [Some("1"), Some("-2"), None]
    );
    let large: ArrayRef = Arc::new(arrow_array::LargeStringArray::from(vec![Some("x"), None]));
    assert_eq!(
        cast_to_utf8(&large).unwrap().iter().collect::<Vec<_>>(),
        [Some("x"), None]
    );
    let view: ArrayRef = Arc::new(arrow_array::StringViewArray::from(vec![
        Some("长字符串长字符串长字符串"),
        None,
    ]));
    assert_eq!(
        cast_to_utf8(&view).unwrap().value(0),
        "长字符串长字符串长字符串"
    );
    let list: ArrayRef = Arc::new(arrow_array::ListArray::from_iter_primitive::<
        arrow_array::types::Int32Type,
        _,
        _,
    >(vec![Some(vec![Some(1), Some(2)]), None]));
    let s = cast_to_utf8(&list).unwrap();
    assert_eq!(s.value(0), "[1, 2]");
    assert!(s.is_null(1));
}
