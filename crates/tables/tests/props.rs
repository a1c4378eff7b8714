//! Property tests: hostile input never panics; written tables read back.

mod common;

use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use proptest::prelude::*;
use pubdata_tables::{Format, ReadOptions, TableWriter, TextEncoding, open};

/// Opens and drains a file; every error must be a single line naming the file.
fn drain(path: &std::path::Path, o: &ReadOptions) {
    let check = |e: pubdata_tables::TableError| {
        let msg = e.to_string();
        assert!(
            !msg.contains('\n') && !msg.contains('\r'),
            "multi-line error: {msg:?}"
        );
        assert!(
            msg.contains(&path.display().to_string()),
            "error does not name the file: {msg}"
        );
    };
    match open(path, o) {
        Err(e) => check(e),
        Ok(mut r) => {
            let schema = r.schema();
            for b in r.by_ref() {
                match b {
                    Ok(b) => {
                        assert_eq!(b.schema(), schema);
                        assert!(b.num_rows() <= o.batch_size.max(1));
                    }
                    Err(e) => check(e),
                }
            }
            assert!(r.bytes_read() <= r.total_bytes().unwrap_or(u64::MAX));
        }
    }
}

/// Bytes biased towards the characters parsers branch on.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        2 => prop::sample::select(b",\t\"\n\r{}[]:".to_vec()),
        1 => prop::sample::select(vec![0x81u8, 0x30, 0xEF, 0xBB, 0xBF, 0xE4, 0xB8, 0xAD]),
        2 => prop::sample::select(b"abc019 ".to_vec()),
    ];
    prop::collection::vec(byte, 0..1500)
}

/// Valid files of each binary format, built once, to be corrupted.
fn seeds() -> &'static (Vec<u8>, Vec<u8>) {
    static SEEDS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("s.xlsx");
        write_xlsx(
            &x,
            &[(
                "S",
                vec![
                    vec![s("a"), s("b")],
                    vec![n("1"), s("x")],
                    vec![Some(Cell::D(1.5)), Some(Cell::B(true))],
                ],
            )],
        );
        let p = dir.path().join("s.parquet");
        let batch = string_batch(
            &["a", "b"],
            &[
                vec![Some("1".into()), None],
                vec![Some("x".into()), Some("y".into())],
            ],
        );
        let mut w = TableWriter::create(&p, Format::Parquet, batch.schema()).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        (std::fs::read(x).unwrap(), std::fs::read(p).unwrap())
    })
}

fn string_batch(names: &[&str], rows: &[Vec<Option<String>>]) -> RecordBatch {
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let cols: Vec<ArrayRef> = (0..names.len())
        .map(|c| Arc::new(rows.iter().map(|r| r[c].clone()).collect::<StringArray>()) as ArrayRef)
        .collect();
    RecordBatch::try_new(schema, cols).unwrap()
}

fn mutate(seed: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut b = seed.to_vec();
    for &(i, v) in edits {
        let i = i % b.len();
        b[i] = v;
    }
    b.truncate(b.len() - cut % (b.len() / 2));
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in hostile_bytes(), batch in 1usize..4, enc in 0u8..3, header in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let encoding = [TextEncoding::Auto, TextEncoding::Utf8, TextEncoding::Gb18030][enc as usize];
        let o = ReadOptions { batch_size: batch, encoding, has_header: header, ..ReadOptions::default() };
        for ext in ["csv", "tsv", "jsonl", "xlsx", "parquet"] {
            let p = write_file(dir.path(), &format!("f.{ext}"), &bytes);
            drain(&p, &o);
        }
    }

    #[test]
    fn corrupted_xlsx_and_parquet_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
        header in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (xlsx, parquet) = seeds();
        let o = ReadOptions { batch_size: 1, has_header: header, ..ReadOptions::default() };
        drain(&write_file(dir.path(), "c.xlsx", &mutate(xlsx, &edits, cut)), &o);
        drain(&write_file(dir.path(), "c.parquet", &mutate(parquet, &edits, cut)), &o);
    }
}

fn cell() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[a-z0-9 ,;\"'\t\r\n张三李四·０-]{0,6}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn string_tables_round_trip(
        prefixes in prop::collection::vec("[a-z ,\"\n张]{0,4}", 1..5),
        raw_rows in prop::collection::vec(prop::collection::vec(cell(), 5), 0..9),
        batch_size in 1usize..5,
    ) {
        let dir = tempfile::tempdir().unwrap();
        // Index suffix keeps names unique and non-empty, so they read back verbatim.
        let names: Vec<String> = prefixes.iter().enumerate().map(|(i, p)| format!("{p}{i}")).collect();
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let rows: Vec<Vec<Option<String>>> = raw_rows.iter().map(|r| r[..names.len()].to_vec()).collect();
        let batch = string_batch(&name_refs, &rows);
        // Text formats cannot tell "" from null; both read back as null.
        let text_expected: Rows = rows
            .iter()
            .map(|r| r.iter().map(|v| v.clone().filter(|s| !s.is_empty())).collect())
            .collect();
        for format in [Format::Csv, Format::Tsv, Format::Parquet] {
            let p = dir.path().join(format!("t.{}", format.name()));
            let mut w = TableWriter::create(&p, format, batch.schema()).unwrap();
            // Write in two pieces to exercise multi-batch output.
            let half = batch.num_rows() / 2;
            w.write(&batch.slice(0, half)).unwrap();
            w.write(&batch.slice(half, batch.num_rows() - half)).unwrap();
            prop_assert_eq!(w.finish().unwrap(), rows.len() as u64);
            let o = ReadOptions { batch_size, ..ReadOptions::default() };
            let (got_names, got_rows) = read_all(&p, &o).unwrap();
            prop_assert_eq!(&got_names, &names);
            let expected = if format == Format::Parquet { &rows } else { &text_expected };
            prop_assert_eq!(&got_rows, expected, "{:?}", format);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        prop_assert_eq!(left.len(), 3);
    }
}
