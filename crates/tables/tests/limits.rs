//! ReadLimits: hostile sizes are refused with errors that name the file, the
//! position and the limit (never the cell's content); ordinary files still
//! read, including ones exactly at a limit.

mod common;

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use pubdata_tables::{Format, ReadLimits, ReadOptions, TableError, TableWriter, open};

fn with_limits(limits: ReadLimits) -> ReadOptions {
    ReadOptions { limits, ..opts() }
}

/// Reads the whole file and returns the error it must end with.
fn read_err(path: &std::path::Path, o: &ReadOptions) -> String {
    let err = read_all(path, o).expect_err("limit not enforced");
    assert!(
        matches!(err, TableError::LimitExceeded { .. }),
        "wrong variant: {err:?}"
    );
    let msg = err.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    msg
}

const SECRET: &str = "110101199003074578";

#[test]
fn default_limits() {
    let d = ReadOptions::default().limits;
    assert_eq!(d, ReadLimits::default());
    assert_eq!(d.max_field_bytes, 1 << 20);
    assert_eq!(d.max_record_bytes, 16 << 20);
    assert_eq!(d.max_line_bytes, 16 << 20);
    assert_eq!(d.max_workbook_bytes, 1 << 30);
    assert_eq!(d.max_shared_strings_bytes, 256 << 20);
    assert_eq!(d.max_shared_strings, 5_000_000);
    assert_eq!(d.max_cell_bytes, 128 << 10);
    assert_eq!(d.max_row_group_bytes, 1 << 30);
}

#[test]
fn xlsx_shared_string_over_cell_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.xlsx");
    let long = format!("{SECRET}x"); // 19 bytes
    write_xlsx(
        &p,
        &[("S", vec![vec![s("id")], vec![s(SECRET)], vec![s(&long)]])],
    );
    let limits = ReadLimits {
        max_cell_bytes: 18,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(limits));
    assert_eq!(
        err,
        format!(
            "{}: xl/sharedStrings.xml, shared string 2: shared string is too long \
             (limit 18 bytes, ReadLimits::max_cell_bytes)",
            p.display()
        )
    );
    assert!(!err.contains(SECRET));
    // Exactly at the limit is fine.
    let limits = ReadLimits {
        max_cell_bytes: 19,
        ..ReadLimits::default()
    };
    let (_, rows) = read_all(&p, &with_limits(limits)).unwrap();
    assert_eq!(rows, vec![row(&[Some(SECRET)]), row(&[Some(&long)])]);
}

#[test]
fn xlsx_compressible_64_mib_shared_string_is_refused_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.xlsx");
    let chunk = vec![b'A'; 1 << 20];
    let mut sst = |w: &mut dyn Write| {
        w.write_all(
            br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#,
        )
        .unwrap();
        for _ in 0..64 {
            w.write_all(&chunk).unwrap();
        }
        w.write_all(b"</t></si></sst>").unwrap();
    };
    write_xlsx_with_shared_strings(&p, &[("S", vec![vec![s("bomb")]])], Some(&mut sst));
    let size = std::fs::metadata(&p).unwrap().len();
    assert!(size < 1_000_000, "fixture is {size} bytes");
    // Within the workbook and shared-strings size limits, so the streaming
    // scan has to catch it, after reading a few hundred KiB of it.
    let err = read_err(&p, &opts());
    assert!(
        err.ends_with(
            "xl/sharedStrings.xml, shared string 0: shared string is too long \
             (limit 131072 bytes, ReadLimits::max_cell_bytes)"
        ),
        "{err}"
    );
}

#[test]
fn xlsx_too_many_shared_strings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.xlsx");
    write_xlsx(
        &p,
        &[("S", vec![vec![s("a"), s("b")], vec![s("c"), s("d")]])],
    );
    let three = ReadLimits {
        max_shared_strings: 3,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(three));
    assert!(
        err.ends_with(
            "many.xlsx: xl/sharedStrings.xml: declares 4 shared strings \
             (limit 3 strings, ReadLimits::max_shared_strings)"
        ),
        "{err}"
    );
    let four = ReadLimits {
        max_shared_strings: 4,
        ..ReadLimits::default()
    };
    assert_eq!(read_all(&p, &with_limits(four)).unwrap().1.len(), 1);

    // Without an honest uniqueCount the strings themselves are counted.
    let p = dir.path().join("uncounted.xlsx");
    let mut sst = |w: &mut dyn Write| {
        w.write_all(b"<sst>").unwrap();
        for i in 0..10 {
            write!(w, "<si><t>{i}</t></si>").unwrap();
        }
        w.write_all(b"</sst>").unwrap();
    };
    write_xlsx_with_shared_strings(&p, &[("S", vec![vec![s("a")]])], Some(&mut sst));
    let err = read_err(&p, &with_limits(three));
    assert!(
        err.ends_with("xl/sharedStrings.xml: has more than 3 shared strings (limit 3 strings, ReadLimits::max_shared_strings)"),
        "{err}"
    );

    // A declared count too large to pre-allocate is refused before calamine
    // tries to.
    let p = dir.path().join("declared.xlsx");
    let mut sst = |w: &mut dyn Write| {
        w.write_all(br#"<sst uniqueCount="4000000000000"><si><t>a</t></si></sst>"#)
            .unwrap();
    };
    write_xlsx_with_shared_strings(&p, &[("S", vec![vec![s("a")]])], Some(&mut sst));
    let err = read_err(&p, &opts());
    assert!(
        err.contains("declares 4000000000000 shared strings"),
        "{err}"
    );
}

#[test]
fn xlsx_workbook_and_shared_strings_sizes_are_checked_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sizes.xlsx");
    write_xlsx(&p, &[("S", vec![vec![s("name")], vec![s(SECRET)]])]);
    let small_total = ReadLimits {
        max_workbook_bytes: 1000,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(small_total));
    assert!(
        err.contains("sizes.xlsx: workbook: its parts decompress to "),
        "{err}"
    );
    assert!(
        err.ends_with("bytes (limit 1000 bytes, ReadLimits::max_workbook_bytes)"),
        "{err}"
    );
    let small_sst = ReadLimits {
        max_shared_strings_bytes: 100,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(small_sst));
    assert!(
        err.contains("sizes.xlsx: xl/sharedStrings.xml: uncompressed size is "),
        "{err}"
    );
    assert!(
        err.ends_with("(limit 100 bytes, ReadLimits::max_shared_strings_bytes)"),
        "{err}"
    );
    // Everything unlimited still reads.
    let (_, rows) = read_all(&p, &with_limits(ReadLimits::unlimited())).unwrap();
    assert_eq!(rows, vec![row(&[Some(SECRET)])]);
}

#[test]
fn csv_field_over_limit_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("name,id\n张三,007\n李四,{SECRET}\n");
    let p = write_file(dir.path(), "ids.csv", text.as_bytes());
    let limits = ReadLimits {
        max_field_bytes: 17,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(limits));
    assert_eq!(
        err,
        format!(
            "{}: line 3, column 2: field is 18 bytes long (limit 17 bytes, ReadLimits::max_field_bytes)",
            p.display()
        )
    );
    assert!(!err.contains(SECRET));
    // The first batch is not silently cut short either.
    let mut r = open(&p, &with_limits(limits)).unwrap();
    assert!(r.next().unwrap().is_err());
    assert!(r.next().is_none());
    // At the limit, and in the header row.
    let at = ReadLimits {
        max_field_bytes: 18,
        ..ReadLimits::default()
    };
    assert_eq!(read_all(&p, &with_limits(at)).unwrap().1.len(), 2);
    let tiny = ReadLimits {
        max_field_bytes: 3,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(tiny));
    assert!(
        err.contains("ids.csv: line 1, column 1: field is 4 bytes long"),
        "{err}"
    );
    // Quoted fields count their content; TSV is checked the same way.
    let p = write_file(dir.path(), "q.tsv", "a\tb\n\"x\ty\"\tzzzz\n".as_bytes());
    let err = read_err(&p, &with_limits(tiny));
    assert!(
        err.contains("q.tsv: line 2, column 2: field is 4 bytes long"),
        "{err}"
    );
}

#[test]
fn csv_record_over_limit_is_refused_while_reading() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ReadLimits {
        max_record_bytes: 1000,
        max_field_bytes: u64::MAX,
        ..ReadLimits::default()
    };
    // An unterminated quote would otherwise swallow the rest of the file.
    let mut bytes = b"a,b\n1,2\n3,\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 1 << 20));
    let p = write_file(dir.path(), "open_quote.csv", &bytes);
    let err = read_err(&p, &with_limits(limits));
    assert!(
        err.ends_with(
            "open_quote.csv: line 3: record is too long (limit 1000 bytes, ReadLimits::max_record_bytes)"
        ),
        "{err}"
    );
    // A record over the limit that ends inside the parser's buffer is
    // caught too: many fields, each under the field limit. A record counts
    // its line break: 300 fields of 4 bytes, 299 commas and "\n".
    let wide: Vec<String> = (0..300).map(|i| format!("{i:04}")).collect();
    let text = format!("{}\n{}\n", wide.join(","), wide.join(","));
    let p = write_file(dir.path(), "wide.csv", text.as_bytes());
    let limits = ReadLimits {
        max_record_bytes: 1499,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(limits));
    assert!(
        err.contains("wide.csv: line 1: record is too long"),
        "{err}"
    );
    let limits = ReadLimits {
        max_record_bytes: 1500,
        ..ReadLimits::default()
    };
    assert_eq!(read_all(&p, &with_limits(limits)).unwrap().1.len(), 1);
}

#[test]
fn jsonl_line_over_limit_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let line2 = format!("{{\"id\":\"{SECRET}\"}}"); // 27 bytes
    let text = format!("{{\"id\":\"1\"}}\r\n{line2}\r\n\n{{\"id\":\"2\"}}\n");
    let p = write_file(dir.path(), "people.jsonl", text.as_bytes());
    let limits = ReadLimits {
        max_line_bytes: 26,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(limits));
    assert_eq!(
        err,
        format!(
            "{}: line 2: line is too long (limit 26 bytes, ReadLimits::max_line_bytes)",
            p.display()
        )
    );
    assert!(!err.contains(SECRET));
    // The limit excludes the line break (here CRLF).
    let at = ReadLimits {
        max_line_bytes: 27,
        ..ReadLimits::default()
    };
    let (_, rows) = read_all(&p, &with_limits(at)).unwrap();
    assert_eq!(rows.len(), 3);
    // A line far longer than the limit, without any line break: only the
    // limit's worth is buffered before the error (not measured here).
    let mut bytes = b"{\"a\":1}\n{\"a\":\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 4 << 20));
    let p = write_file(dir.path(), "endless.ndjson", &bytes);
    let limits = ReadLimits {
        max_line_bytes: 1024,
        ..ReadLimits::default()
    };
    let err = read_err(&p, &with_limits(limits));
    assert!(
        err.contains("endless.ndjson: line 2: line is too long"),
        "{err}"
    );
    // In the first batch (schema inference) too.
    let err = open(&p, &with_limits(limits)).unwrap_err().to_string();
    assert!(err.contains("line 2: line is too long"), "{err}");
}

#[test]
fn parquet_row_group_over_limit_is_refused_from_the_footer() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, true)]));
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some(SECRET); 100]));
    let batch = RecordBatch::try_new(schema.clone(), vec![ids]).unwrap();
    let mut w = TableWriter::create(&p, Format::Parquet, schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let limits = ReadLimits {
        max_row_group_bytes: 10,
        ..ReadLimits::default()
    };
    let err = open(&p, &with_limits(limits)).unwrap_err();
    assert!(matches!(err, TableError::LimitExceeded { .. }), "{err:?}");
    let err = err.to_string();
    assert!(err.contains("t.parquet: row group 0"), "{err}");
    assert!(
        err.ends_with("(limit 10 bytes, ReadLimits::max_row_group_bytes)"),
        "{err}"
    );
    assert!(!err.contains(SECRET));
    let (_, rows) = read_all(&p, &opts()).unwrap();
    assert_eq!(rows.len(), 100);
}

#[test]
fn ordinary_files_read_with_default_limits() {
    let dir = tempfile::tempdir().unwrap();
    // A 100 KB field and a 100 KB JSON line are ordinary.
    let big = "张".repeat(33_000);
    let p = write_file(
        dir.path(),
        "big.csv",
        format!("a,b\n\"{big}\",1\n").as_bytes(),
    );
    assert_eq!(
        read_all(&p, &opts()).unwrap().1,
        vec![row(&[Some(&big), Some("1")])]
    );
    let p = write_file(
        dir.path(),
        "big.jsonl",
        format!("{{\"a\":\"{big}\"}}\n").as_bytes(),
    );
    assert_eq!(read_all(&p, &opts()).unwrap().1, vec![row(&[Some(&big)])]);
    // The longest cell Excel can write (32,767 characters, here 3 bytes each).
    let longest = "张".repeat(32_767);
    let p = dir.path().join("big.xlsx");
    write_xlsx(
        &p,
        &[("S", vec![vec![s("a"), s("b")], vec![s(&longest), n("1")]])],
    );
    assert_eq!(
        read_all(&p, &opts()).unwrap().1,
        vec![row(&[Some(&longest), Some("1")])]
    );
}
