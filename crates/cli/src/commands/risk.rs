//! `pubdata risk`: re-identification risk of a table under a set of quasi-identifiers.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use pubdata_anonymity::risk::{RiskReport, assess};
use pubdata_tables::{ReadOptions, TextEncoding};
use serde::Serialize;

use super::grouped::group;
use crate::progress::thousands;

/// Arguments of `pubdata risk`.
#[derive(Args)]
pub struct RiskArgs {
    /// The table (CSV, TSV, XLSX, JSON Lines, Parquet).
    input: PathBuf,
    /// Quasi-identifiers: the columns an attacker may know, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    qi: Vec<String>,
    /// A sensitive column: reports how many distinct values each class holds.
    #[arg(long)]
    sensitive: Option<String>,
    /// Risk above which a record counts as at risk.
    #[arg(long, default_value_t = 0.2)]
    threshold: f64,
    /// Share of the population the table holds, for the journalist (1: the whole population).
    #[arg(long, default_value_t = 1.0)]
    sampling_fraction: f64,
    /// Text encoding of CSV, TSV or JSON Lines input.
    #[arg(long, default_value = "auto", value_parser = super::scan::parse_encoding)]
    encoding: TextEncoding,
    /// Field delimiter of CSV input (default `,`; ARX's files use `;`).
    #[arg(long, value_parser = super::grouped::parse_delimiter)]
    delimiter: Option<u8>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// How diverse the sensitive values are within classes.
#[derive(Serialize)]
struct SensitiveSummary {
    column: String,
    /// Fewest distinct sensitive values in any class (distinct l-diversity achieved).
    fewest_distinct: u64,
    /// Records in classes whose members all share one sensitive value (attribute disclosure).
    records_in_homogeneous_classes: u64,
}

#[derive(Serialize)]
struct Report {
    input: String,
    quasi_identifiers: Vec<String>,
    #[serde(flatten)]
    risk: RiskReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitive: Option<SensitiveSummary>,
}

/// Runs `pubdata risk`.
pub fn run(args: RiskArgs) -> anyhow::Result<()> {
    if !(args.threshold > 0.0 && args.threshold <= 1.0) {
        bail!(
            "--threshold {}: must be above 0 and at most 1",
            args.threshold
        );
    }
    if !(args.sampling_fraction > 0.0 && args.sampling_fraction <= 1.0) {
        bail!(
            "--sampling-fraction {}: must be above 0 and at most 1",
            args.sampling_fraction
        );
    }
    let mut columns = args.qi.clone();
    if let Some(s) = &args.sensitive {
        if args.qi.contains(s) {
            bail!("{s:?} cannot be both sensitive and a quasi-identifier");
        }
        columns.push(s.clone());
    }
    let options = ReadOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        ..ReadOptions::default()
    };
    let grouped = group(&args.input, &options, &columns)?;
    let q = args.qi.len();
    // Classes are the distinct quasi-identifier parts; with a sensitive column each group is a
    // (class, sensitive value) pair.
    let mut classes: HashMap<&[u32], (u64, u64)> = HashMap::new();
    for (i, t) in grouped.tuples.chunks_exact(grouped.width()).enumerate() {
        let e = classes.entry(&t[..q]).or_insert((0, 0));
        e.0 += grouped.counts[i];
        e.1 += 1;
    }
    let sizes: Vec<u64> = classes.values().map(|v| v.0).collect();
    let risk = assess(&sizes, args.threshold, args.sampling_fraction);
    let sensitive = args.sensitive.as_ref().map(|s| SensitiveSummary {
        column: s.clone(),
        fewest_distinct: classes.values().map(|v| v.1).min().unwrap_or(0),
        records_in_homogeneous_classes: classes.values().filter(|v| v.1 == 1).map(|v| v.0).sum(),
    });
    let report = Report {
        input: args.input.display().to_string(),
        quasi_identifiers: args.qi.clone(),
        risk,
        sensitive,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let r = &report.risk;
    println!(
        "{:<28} {:>10} {:>10} {:>14}",
        "attacker", "highest", "average", "above threshold"
    );
    for (name, a) in [("prosecutor", &r.prosecutor), ("journalist", &r.journalist)] {
        println!(
            "{name:<28} {:>10.4} {:>10.4} {:>13.2} %",
            a.highest,
            a.average,
            a.above_threshold * 100.0
        );
    }
    println!("{:<28} {:>21.4}", "marketer", r.marketer);
    println!("class sizes:");
    for b in &r.class_sizes {
        let label = match (b.from, b.to) {
            (f, t) if f == t => f.to_string(),
            (f, u64::MAX) => format!("{f}+"),
            (f, t) => format!("{f}-{t}"),
        };
        println!(
            "  {label:>7}: {:>10} classes {:>12} records",
            thousands(b.classes),
            thousands(b.records)
        );
    }
    if let Some(s) = &report.sensitive {
        println!(
            "{}: fewest distinct values in a class {}, {} records in classes with one value",
            s.column,
            s.fewest_distinct,
            thousands(s.records_in_homogeneous_classes)
        );
    }
    println!(
        "{} records in {} classes under {}: {} sample uniques ({:.2} %), highest prosecutor risk {:.4}",
        thousands(r.records),
        thousands(r.classes),
        args.qi.join(", "),
        thousands(r.sample_uniques),
        r.sample_uniqueness * 100.0,
        r.prosecutor.highest
    );
    Ok(())
}
