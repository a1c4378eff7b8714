//! `pubdata anonymize` (`pubdata_release::anonymize` does the work): finds the optimal full-domain generalization that meets the policy's
//! requirements, writes the generalized table without the suppressed records, and reports risk
//! and utility before and after. When no transformation meets the requirements it writes nothing.

use std::path::PathBuf;

use clap::Args;
use pubdata_release::{Input, Output, PolicySource};
use pubdata_tables::{ReadOptions, TextEncoding};

use super::grouped::parse_delimiter;
use crate::progress::{control, rows_bar, thousands};

/// Arguments of `pubdata anonymize`.
#[derive(Args)]
pub struct AnonymizeArgs {
    /// Policy file with an `[anonymize]` table.
    #[arg(long)]
    policy: PathBuf,
    /// Input table (CSV, TSV, XLSX, JSON Lines, Parquet).
    #[arg(long = "in")]
    input: PathBuf,
    /// Output table: .csv, .tsv or .parquet.
    #[arg(long)]
    out: PathBuf,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Risk above which a record counts as at risk in the report (default: the policy's
    /// `max_prosecutor_risk`, else 0.2).
    #[arg(long)]
    threshold: Option<f64>,
    /// Text encoding of CSV, TSV or JSON Lines input.
    #[arg(long, default_value = "auto", value_parser = super::scan::parse_encoding)]
    encoding: TextEncoding,
    /// Field delimiter of CSV input.
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
}

/// Runs `pubdata anonymize`.
pub fn run(args: AnonymizeArgs) -> anyhow::Result<()> {
    super::refuse_overwriting(
        &[("--in", &args.input), ("--policy", &args.policy)],
        &[
            ("--out", Some(&args.out)),
            ("--report", args.report.as_deref()),
        ],
    )?;
    let policy = PolicySource::read(&args.policy)?;
    let options = ReadOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        ..ReadOptions::default()
    };
    let input = Input::file(&args.input, options);
    let output = Output::File(args.out.clone());
    let bar = rows_bar(None, "");
    let report = pubdata_release::anonymize::anonymize(
        &policy,
        &input,
        &output,
        args.threshold,
        &control(&bar),
    );
    bar.finish_and_clear();
    let report = report?;
    if let Some(path) = &args.report {
        super::write_atomically(
            path,
            pubdata_anonymity::report_html::render(&report).as_bytes(),
        )?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    let levels: Vec<String> = report
        .quasi_identifiers
        .iter()
        .map(|q| format!("{}={}/{}", q.column, q.level, q.max_level))
        .collect();
    eprintln!(
        "anonymized {} rows of {} in {:.2} s: {} written to {}, {} suppressed; levels {}; highest prosecutor risk {:.4} (was {:.4}); {} of {} transformations checked",
        thousands(report.records_in),
        args.input.display(),
        report.seconds,
        thousands(report.records_out),
        args.out.display(),
        thousands(report.suppressed),
        levels.join(" "),
        report.risk_after.prosecutor.highest,
        report.risk_before.prosecutor.highest,
        thousands(report.transformations_checked),
        thousands(report.lattice_size),
    );
    Ok(())
}
