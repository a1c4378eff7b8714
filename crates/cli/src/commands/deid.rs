//! `pubdata deid --policy P --in FILE --out FILE`: apply a de-identification policy to a table,
//! streaming batch by batch, and report what was done (`pubdata_release::deid` does the work).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use pubdata_deid::policy::OnInvalid;
use pubdata_release::{Input, Output, PolicySource};
use pubdata_tables::{ReadOptions, TextEncoding};

use crate::progress::{control, rows_bar, thousands};

/// Arguments of `pubdata deid`.
#[derive(Args)]
pub struct DeidArgs {
    /// The policy (TOML): what happens to every column.
    #[arg(long)]
    pub policy: PathBuf,
    /// The table to de-identify: .csv, .tsv, .xlsx, .jsonl or .parquet.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the result: .csv, .tsv or .parquet (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write a JSON report (hashes, counts, invalid values) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Text encoding of the input: auto, utf8 or gbk.
    #[arg(long, default_value = "auto", value_parser = super::scan::parse_encoding)]
    pub encoding: TextEncoding,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Rows per Arrow batch.
    #[arg(long, default_value_t = 8192)]
    pub batch_size: usize,
}

/// Runs `pubdata deid`.
pub fn run(args: DeidArgs) -> anyhow::Result<()> {
    super::refuse_overwriting(
        &[("--in", &args.input), ("--policy", &args.policy)],
        &[
            ("--out", Some(&args.out)),
            ("--report", args.report.as_deref()),
        ],
    )?;
    let options = ReadOptions {
        encoding: args.encoding,
        batch_size: args.batch_size.max(1),
        ..ReadOptions::default()
    };
    let policy = PolicySource::read(&args.policy)?;
    let input = Input::file(&args.input, options);
    let output = Output::File(args.out.clone());
    let bar = rows_bar(None, "");
    let report = pubdata_release::deid::deid(&policy, &input, &output, &control(&bar));
    bar.finish_and_clear();
    let report = report?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.report {
        super::write_atomically(path, json.as_bytes())
            .with_context(|| "the output was written, the report was not")?;
    }
    if args.json {
        println!("{json}");
    }
    let c = &report.counts;
    eprintln!(
        "de-identified {} rows of {} in {:.2} s ({:.0} rows/s): {} written to {}, {} suppressed by rules, {} invalid values ({})",
        thousands(c.rows_in),
        args.input.display(),
        report.seconds,
        c.rows_in as f64 / report.seconds.max(1e-9),
        thousands(c.rows_out),
        args.out.display(),
        thousands(c.rows_suppressed_by_rule),
        thousands(report.invalid()),
        match report.on_invalid {
            OnInvalid::Fail => "none allowed",
            OnInvalid::Null => "written as null",
            OnInvalid::SuppressRow => "their rows left out",
        },
    );
    Ok(())
}
