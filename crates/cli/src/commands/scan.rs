//! `pubdata scan FILE`: classify every column of a table.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use pubdata_deid::detect::{Detector, RegionTable};
use pubdata_deid::policy::suggest_policy;
use pubdata_deid::scan::{ColumnReport, ScanOptions, Scanner};
use pubdata_tables::{Format, ReadOptions, TextEncoding};
use serde::Serialize;

use crate::progress::{bytes_bar, thousands};
use crate::table_fmt::render;

/// Arguments of `pubdata scan`.
#[derive(Args)]
pub struct ScanArgs {
    /// The table to scan: .csv, .tsv, .xlsx, .jsonl or .parquet.
    pub file: PathBuf,
    /// Read the file as this format instead of guessing from its extension.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// Text encoding of CSV/TSV/JSON Lines: auto (UTF-8, else GBK/GB18030), utf8 or gbk.
    #[arg(long, default_value = "auto", value_parser = parse_encoding)]
    pub encoding: TextEncoding,
    /// Worksheet of an XLSX file (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Look at the first N rows only (default: the whole table).
    #[arg(long, value_name = "N")]
    pub sample: Option<u64>,
    /// List every span of personal information found in free-text columns (row, start, end, type).
    #[arg(long)]
    pub spans: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write a suggested de-identification policy (TOML, for `pubdata deid`) to FILE.
    #[arg(long, value_name = "FILE")]
    pub policy_out: Option<PathBuf>,
    /// GB/T 2260 division table (CSV like areas.csv: code,name,...) to check the full region code of resident IDs.
    #[arg(long, value_name = "FILE")]
    pub regions: Option<PathBuf>,
    /// Rows per Arrow batch.
    #[arg(long, default_value_t = 8192)]
    pub batch_size: usize,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse::<Format>().map_err(|e| e.to_string())
}

pub fn parse_encoding(s: &str) -> Result<TextEncoding, String> {
    match s.to_ascii_lowercase().as_str() {
        "auto" => Ok(TextEncoding::Auto),
        "utf8" | "utf-8" => Ok(TextEncoding::Utf8),
        "gbk" | "gb18030" | "gb2312" => Ok(TextEncoding::Gb18030),
        other => Err(format!("unknown encoding {other:?}: use auto, utf8 or gbk")),
    }
}

/// The whole scan report, as `--json` prints it.
#[derive(Serialize)]
pub struct ScanReport {
    pub file: String,
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    pub rows: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub sampled: bool,
    pub columns: Vec<ColumnReport>,
}

/// Runs the scan and prints the report.
pub fn run(args: ScanArgs) -> anyhow::Result<()> {
    let mut inputs = vec![("the scanned file", args.file.as_path())];
    if let Some(regions) = &args.regions {
        inputs.push(("--regions", regions.as_path()));
    }
    super::refuse_overwriting(&inputs, &[("--policy-out", args.policy_out.as_deref())])?;
    let detector = match &args.regions {
        Some(path) => Detector::with_regions(
            RegionTable::from_csv_path(path)
                .with_context(|| format!("cannot use --regions {}", path.display()))?,
        ),
        None => Detector::new(),
    };
    let report = scan_file(&args, &detector)?;
    if let Some(path) = &args.policy_out {
        let policy = suggest_policy(&report.file, &report.columns);
        super::write_atomically(path, policy.as_bytes())?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report, args.spans);
    }
    let personal = report
        .columns
        .iter()
        .filter(|c| c.kind.is_some() || c.role.name() != "other")
        .count();
    eprintln!(
        "scanned {} rows ({:.1} MB) of {} in {:.2} s: {} columns, {} with personal information{}",
        thousands(report.rows),
        report.bytes as f64 / 1e6,
        report.file,
        report.seconds,
        report.columns.len(),
        personal,
        args.policy_out
            .as_ref()
            .map(|p| format!("; policy written to {}", p.display()))
            .unwrap_or_default(),
    );
    Ok(())
}

/// Reads the file in batches through the scanner.
pub fn scan_file(args: &ScanArgs, detector: &Detector) -> anyhow::Result<ScanReport> {
    let start = Instant::now();
    let options = ReadOptions {
        format: args.format,
        encoding: args.encoding,
        batch_size: args.batch_size.max(1),
        sheet: args.sheet.clone(),
        ..ReadOptions::default()
    };
    let mut reader = pubdata_tables::open(&args.file, &options)?;
    let schema = reader.schema();
    let mut scanner = Scanner::new(
        detector,
        &schema,
        ScanOptions {
            spans: args.spans,
            ..ScanOptions::default()
        },
    );
    let bar = bytes_bar(reader.total_bytes(), "scanning");
    let limit = args.sample.unwrap_or(u64::MAX);
    let mut sampled = false;
    while scanner.rows() < limit {
        let Some(batch) = reader.next() else { break };
        let mut batch = batch?;
        let room = limit - scanner.rows();
        if (batch.num_rows() as u64) > room {
            batch = batch.slice(0, room as usize);
            sampled = true;
        }
        scanner
            .push(&batch)
            .with_context(|| args.file.display().to_string())?;
        bar.set_position(reader.bytes_read());
    }
    if scanner.rows() >= limit && reader.next().is_some() {
        sampled = true;
    }
    bar.finish_and_clear();
    Ok(ScanReport {
        file: args.file.display().to_string(),
        format: reader.format().name(),
        encoding: reader.encoding(),
        rows: scanner.rows(),
        bytes: reader.bytes_read(),
        seconds: start.elapsed().as_secs_f64(),
        sampled,
        columns: scanner.finish(),
    })
}

fn print_human(report: &ScanReport, spans: bool) {
    let encoding = report
        .encoding
        .map(|e| format!(", {e}"))
        .unwrap_or_default();
    let sampled = if report.sampled { " (sample)" } else { "" };
    println!(
        "{} ({}{encoding}): {} rows{sampled}\n",
        report.file,
        report.format,
        thousands(report.rows)
    );
    let rows: Vec<Vec<String>> = report
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.kind.clone().unwrap_or_else(|| "-".into()),
                format!("{:.1}%", c.match_ratio * 100.0),
                format!("{:.2}", c.confidence),
                c.role.name().to_string(),
                c.reason.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        render(
            &["column", "type", "match", "confidence", "role", "reason"],
            &rows
        )
    );
    if spans {
        for c in report.columns.iter().filter(|c| !c.spans.is_empty()) {
            println!("\nspans in {}:", c.name);
            let rows: Vec<Vec<String>> = c
                .spans
                .iter()
                .map(|s| {
                    vec![
                        s.row.to_string(),
                        s.start.to_string(),
                        s.end.to_string(),
                        s.kind.name().to_string(),
                    ]
                })
                .collect();
            print!("{}", render(&["row", "start", "end", "type"], &rows));
        }
    }
}
