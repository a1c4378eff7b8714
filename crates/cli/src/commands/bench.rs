//! `pubdata bench ...`: throughput and accuracy figures for BENCHMARKS.md.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow_array::{RecordBatch, cast::AsArray};
use arrow_schema::Schema;
use clap::{Args, Subcommand};
use pubdata_deid::detect::{Detector, PiiType};
use pubdata_deid::scan::{ColumnReport, ScanOptions, Scanner};
use pubdata_synth::{CITIZEN_COLUMNS, CitizenGenerator, REMARKS_COLUMN, TruthSpan};
use pubdata_tables::{Format, TableWriter};
use serde::Serialize;

use crate::progress::{rows_bar, thousands};
use crate::table_fmt::render;

/// Benchmarks.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Scan throughput (structured columns and free text separately) and per-type precision and recall.
    Scan(ScanBenchArgs),
    /// Rows/s of `pubdata deid` against a plain CSV-to-Parquet rewrite, and encrypt_fpe alone.
    Deid(super::bench_deid::DeidBenchArgs),
    /// The optimal anonymization search (k-anonymity, Loss) on ARX's benchmark data.
    Anonymize(super::bench_anonymize::AnonymizeBenchArgs),
}

/// Arguments of `pubdata bench scan`.
#[derive(Args)]
pub struct ScanBenchArgs {
    /// Rows of `gen citizens` data to scan.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also time `scan` end to end on the table written as CSV (reading and parsing included).
    #[arg(long)]
    pub with_csv: bool,
    /// Runs of each timed part; the fastest is reported (the others are noise from the machine).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Throughput of one part of the scan.
#[derive(Serialize)]
struct Throughput {
    rows: u64,
    bytes: u64,
    seconds: f64,
    mb_per_s: f64,
    rows_per_s: f64,
}

impl Throughput {
    fn new(rows: u64, bytes: u64, seconds: f64) -> Self {
        Self {
            rows,
            bytes,
            seconds,
            mb_per_s: bytes as f64 / 1e6 / seconds,
            rows_per_s: rows as f64 / seconds,
        }
    }
}

/// Precision and recall of one type.
#[derive(Serialize, Default)]
struct Accuracy {
    true_positives: u64,
    false_positives: u64,
    false_negatives: u64,
    precision: f64,
    recall: f64,
}

#[derive(Serialize)]
struct ScanBench {
    rows: u64,
    seed: u64,
    threads: usize,
    repeat: usize,
    structured: Throughput,
    /// The structured scan again, one column at a time, to show where the time goes.
    per_column: BTreeMap<String, Throughput>,
    free_text: Throughput,
    #[serde(skip_serializing_if = "Option::is_none")]
    csv_end_to_end: Option<Throughput>,
    structured_accuracy: BTreeMap<String, Accuracy>,
    free_text_accuracy: BTreeMap<String, Accuracy>,
}

/// Runs a benchmark.
pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Scan(args) => scan(args),
        BenchCommand::Deid(args) => super::bench_deid::run(args),
        BenchCommand::Anonymize(args) => super::bench_anonymize::run(args),
    }
}

fn string_bytes(batch: &RecordBatch) -> u64 {
    batch
        .columns()
        .iter()
        .map(|c| c.as_string::<i32>().values().len() as u64)
        .sum()
}

fn scan(args: ScanBenchArgs) -> anyhow::Result<()> {
    let detector = Detector::new();
    let bar = rows_bar(Some(args.rows), "generating");
    let mut generator = CitizenGenerator::new(args.seed, args.rows);
    let mut truth = Vec::new();
    let mut batches = Vec::new();
    while let Some(batch) = generator.next_batch(8192, Some(&mut truth)) {
        bar.inc(batch.num_rows() as u64);
        batches.push(batch);
    }
    bar.finish_and_clear();
    let structured_idx: Vec<usize> = (0..CITIZEN_COLUMNS.len())
        .filter(|&i| i != REMARKS_COLUMN)
        .collect();
    let structured: Vec<RecordBatch> = batches
        .iter()
        .map(|b| b.project(&structured_idx))
        .collect::<Result<_, _>>()?;
    let remarks: Vec<RecordBatch> = batches
        .iter()
        .map(|b| b.project(&[REMARKS_COLUMN]))
        .collect::<Result<_, _>>()?;
    drop(batches);

    let (structured_report, structured_tp) = time_scan(&detector, &structured, false, args.repeat)?;
    let mut per_column = BTreeMap::new();
    for (j, &i) in structured_idx.iter().enumerate() {
        let one: Vec<RecordBatch> = structured
            .iter()
            .map(|b| b.project(&[j]))
            .collect::<Result<_, _>>()?;
        per_column.insert(
            CITIZEN_COLUMNS[i].name.to_string(),
            time_scan(&detector, &one, false, args.repeat)?.1,
        );
    }
    let (remarks_report, free_text_tp) = time_scan(&detector, &remarks, true, args.repeat)?;
    let csv_end_to_end = if args.with_csv {
        Some(csv_scan(&detector, args.rows, args.seed)?)
    } else {
        None
    };

    let bench = ScanBench {
        rows: args.rows,
        seed: args.seed,
        threads: 1,
        repeat: args.repeat,
        structured: structured_tp,
        per_column,
        free_text: free_text_tp,
        csv_end_to_end,
        structured_accuracy: structured_accuracy(&structured_report, &structured_idx),
        free_text_accuracy: span_accuracy(&remarks_report[0], &truth),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&bench)?);
    } else {
        print_bench(&bench);
    }
    eprintln!(
        "scanned {} rows: structured {:.0} MB/s, free text {:.0} MB/s on one core",
        thousands(args.rows),
        bench.structured.mb_per_s,
        bench.free_text.mb_per_s
    );
    Ok(())
}

/// Scans `batches` `repeat` times and reports the fastest run (with the report of the last).
fn time_scan(
    detector: &Detector,
    batches: &[RecordBatch],
    spans: bool,
    repeat: usize,
) -> anyhow::Result<(Vec<ColumnReport>, Throughput)> {
    let schema: Arc<Schema> = batches
        .first()
        .map(|b| b.schema())
        .context("no rows to scan")?;
    let bytes: u64 = batches.iter().map(string_bytes).sum();
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let options = ScanOptions {
            spans,
            ..ScanOptions::default()
        };
        let mut scanner = Scanner::new(detector, &schema, options);
        for b in batches {
            scanner.push(b)?;
        }
        let rows = scanner.rows();
        let report = scanner.finish();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some((report, rows));
    }
    let (report, rows) = last.context("no run")?;
    Ok((report, Throughput::new(rows, bytes, best)))
}

fn csv_scan(detector: &Detector, rows: u64, seed: u64) -> anyhow::Result<Throughput> {
    // Removed when dropped, an error included.
    let dir = tempfile::Builder::new()
        .prefix("pubdata-bench-")
        .tempdir()?;
    let path = dir.path().join("citizens.csv");
    let mut writer = TableWriter::create(&path, Format::Csv, pubdata_synth::citizens_schema())?;
    let mut generator = CitizenGenerator::new(seed, rows);
    while let Some(batch) = generator.next_batch(8192, None) {
        writer.write(&batch)?;
    }
    writer.finish()?;
    let start = Instant::now();
    let mut reader = pubdata_tables::open(&path, &pubdata_tables::ReadOptions::default())?;
    let schema = reader.schema();
    let mut scanner = Scanner::new(detector, &schema, ScanOptions::default());
    for batch in reader.by_ref() {
        scanner.push(&batch?)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();
    let rows = scanner.rows();
    Ok(Throughput::new(rows, bytes, seconds))
}

fn finish(mut a: Accuracy) -> Accuracy {
    let found = a.true_positives + a.false_positives;
    let real = a.true_positives + a.false_negatives;
    a.precision = if found == 0 {
        1.0
    } else {
        a.true_positives as f64 / found as f64
    };
    a.recall = if real == 0 {
        1.0
    } else {
        a.true_positives as f64 / real as f64
    };
    a
}

/// Cell-level accuracy of what the scan delivers: a cell counts as found as type T when its
/// column was classified as T and the cell passes T's validator.
fn structured_accuracy(report: &[ColumnReport], idx: &[usize]) -> BTreeMap<String, Accuracy> {
    let mut acc: BTreeMap<PiiType, Accuracy> = BTreeMap::new();
    for (col, &i) in report.iter().zip(idx) {
        let truth = CITIZEN_COLUMNS[i].kind;
        let predicted = col.pii_type();
        let hits = col.matches;
        match (predicted, truth) {
            (Some(p), Some(t)) if p == t => {
                let a = acc.entry(t).or_default();
                a.true_positives += hits;
                a.false_negatives += col.non_null - hits;
            }
            (p, t) => {
                if let Some(p) = p {
                    acc.entry(p).or_default().false_positives += hits;
                }
                if let Some(t) = t {
                    acc.entry(t).or_default().false_negatives += col.non_null;
                }
            }
        }
    }
    acc.into_iter()
        .map(|(k, a)| (k.name().to_string(), finish(a)))
        .collect()
}

/// Span-level accuracy on the free text: a span is right when row, start, end and type all agree.
fn span_accuracy(report: &ColumnReport, truth: &[TruthSpan]) -> BTreeMap<String, Accuracy> {
    let expected: HashSet<(u64, usize, usize, PiiType)> = truth
        .iter()
        .map(|s| (s.row, s.start, s.end, s.kind))
        .collect();
    let found: HashSet<(u64, usize, usize, PiiType)> = report
        .spans
        .iter()
        .map(|s| (s.row, s.start, s.end, s.kind))
        .collect();
    let mut acc: BTreeMap<PiiType, Accuracy> = BTreeMap::new();
    for s in &found {
        let a = acc.entry(s.3).or_default();
        if expected.contains(s) {
            a.true_positives += 1
        } else {
            a.false_positives += 1
        }
    }
    for s in expected.difference(&found) {
        acc.entry(s.3).or_default().false_negatives += 1;
    }
    acc.into_iter()
        .map(|(k, a)| (k.name().to_string(), finish(a)))
        .collect()
}

fn print_bench(b: &ScanBench) {
    println!(
        "pubdata bench scan: {} rows of gen citizens (seed {}), {} thread, fastest of {} runs\n",
        thousands(b.rows),
        b.seed,
        b.threads,
        b.repeat
    );
    let mut rows = vec![
        tp_row("structured columns (18)", &b.structured),
        tp_row("free text (remarks)", &b.free_text),
    ];
    if let Some(t) = &b.csv_end_to_end {
        rows.push(tp_row("CSV file end to end", t));
    }
    rows.extend(
        b.per_column
            .iter()
            .map(|(name, t)| tp_row(&format!("  column {name}"), t)),
    );
    print!(
        "{}",
        render(&["part", "rows", "MB", "seconds", "MB/s", "rows/s"], &rows)
    );
    for (title, acc) in [
        ("structured columns (cells)", &b.structured_accuracy),
        ("free text (spans)", &b.free_text_accuracy),
    ] {
        println!("\n{title}:");
        let rows: Vec<Vec<String>> = acc
            .iter()
            .map(|(k, a)| {
                vec![
                    k.clone(),
                    a.true_positives.to_string(),
                    a.false_positives.to_string(),
                    a.false_negatives.to_string(),
                    format!("{:.4}", a.precision),
                    format!("{:.4}", a.recall),
                ]
            })
            .collect();
        print!(
            "{}",
            render(&["type", "tp", "fp", "fn", "precision", "recall"], &rows)
        );
    }
}

fn tp_row(name: &str, t: &Throughput) -> Vec<String> {
    vec![
        name.to_string(),
        thousands(t.rows),
        format!("{:.1}", t.bytes as f64 / 1e6),
        format!("{:.3}", t.seconds),
        format!("{:.1}", t.mb_per_s),
        format!("{:.0}", t.rows_per_s),
    ]
}
