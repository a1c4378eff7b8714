//! `pubdata deid --policy P --in FILE --out FILE`: apply a de-identification policy to a table,
//! streaming batch by batch, and report what was done.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use pubdata_deid::apply::{Resources, RunCounts};
use pubdata_deid::keys::Key;
use pubdata_deid::policy::{Generalization, Operator, Policy, PolicyError};
use pubdata_deid::transform::dates::Date;
use pubdata_deid::transform::hierarchy::Hierarchy;
use pubdata_tables::{Format, ReadOptions, TableWriter, TextEncoding};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::progress::{rows_bar, thousands};

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

/// A file named in the report with its SHA-256.
#[derive(Serialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

/// The report of one run: enough for an auditor to tie an output to its input, policy and key.
#[derive(Serialize)]
pub struct DeidReport {
    pub pubdata_version: &'static str,
    pub finished_at: String,
    pub seconds: f64,
    pub policy: FileDigest,
    pub input: FileDigest,
    pub output: FileDigest,
    /// A fingerprint of the key (HMAC of a fixed label), never the key itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub on_invalid: pubdata_deid::policy::OnInvalid,
    /// Values transformed and values that did not parse, summed per operator.
    pub operators: std::collections::BTreeMap<String, pubdata_deid::apply::ColumnCounts>,
    pub counts: RunCounts,
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(data_encoding_hex(&hasher.finalize()))
}

fn data_encoding_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Today's UTC date, the reference of age bands without `as_of`.
pub fn today() -> Option<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Date::from_days((secs / 86_400) as i64)
}

fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date = Date::from_days((secs / 86_400) as i64).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    });
    let s = secs % 86_400;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year,
        date.month,
        date.day,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Formats policy errors as `POLICY:LINE: message`, one per line.
pub fn policy_errors(path: &Path, errors: &[PolicyError]) -> String {
    errors
        .iter()
        .map(|e| match e.line {
            0 => format!("{}: {}", path.display(), e.message),
            n => format!("{}:{n}: {}", path.display(), e.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads and parses a policy, checks it against the table's columns, and loads what it names:
/// the key and the hierarchy files (both relative to the policy's folder).
pub fn load_policy(path: &Path, columns: &[String]) -> anyhow::Result<(Policy, Resources)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let policy =
        Policy::parse(&text).map_err(|e| anyhow::anyhow!("{}", policy_errors(path, &e)))?;
    let errors = policy.check_columns(columns);
    if !errors.is_empty() {
        bail!("{}", policy_errors(path, &errors));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let key = match &policy.dataset.key {
        Some(source) if policy.columns.iter().any(|c| c.operator.is_keyed()) => Some(
            Key::load(source, base)
                .with_context(|| format!("{}: cannot load the key", path.display()))?,
        ),
        _ => None,
    };
    let mut hierarchies = HashMap::new();
    for rule in &policy.columns {
        if let Operator::Generalize(Generalization::Hierarchy { file, .. }) = &rule.operator {
            let p = base.join(file);
            let text = std::fs::read_to_string(&p).with_context(|| {
                format!(
                    "{}:{}: cannot read hierarchy {}",
                    path.display(),
                    rule.line,
                    p.display()
                )
            })?;
            let h =
                Hierarchy::parse(&text).with_context(|| format!("hierarchy {}", p.display()))?;
            hierarchies.insert(file.clone(), Arc::new(h));
        }
    }
    Ok((
        policy,
        Resources {
            key,
            today: today(),
            hierarchies,
        },
    ))
}

/// A fingerprint of a key for reports: the first 16 hex digits of HMAC(key, label).
pub fn key_id(key: &Key) -> String {
    key.derive("pubdata/key-id/v1").to_hex()[..16].to_string()
}

/// Runs the policy as a DataFusion plan over the reader's stream and writes the result through a
/// temporary file; returns the run's counts.
pub fn run_plan(
    reader: pubdata_tables::TableReader,
    policy: &Policy,
    resources: &Resources,
    out: &Path,
    format: Format,
    batch_size: usize,
) -> anyhow::Result<RunCounts> {
    use futures::StreamExt;
    // One partition on one thread: the input is one stream, and "rows/s per core" is what the
    // benchmark reports. Distribution is Ballista's job, not a thread pool's.
    let config = datafusion::prelude::SessionConfig::new()
        .with_target_partitions(1)
        .with_batch_size(batch_size.max(1));
    let ctx = datafusion::prelude::SessionContext::new_with_config(config);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        let (frame, counts) = pubdata_query::deid_frame(&ctx, reader, policy, resources)?;
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let mut stream = frame.execute_stream().await?;
        let mut writer = TableWriter::create(out, format, schema)?;
        let bar = rows_bar(None, "de-identifying");
        let mut rows_out = 0u64;
        while let Some(batch) = stream.next().await {
            // An error drops the writer, which removes its temporary file: nothing half-written.
            let batch = batch.map_err(|e| match e {
                // The operators' own messages (row, column, reason) need no DataFusion prefix.
                datafusion::error::DataFusionError::Execution(message) => anyhow::anyhow!(message),
                other => other.into(),
            })?;
            writer.write(&batch)?;
            rows_out += batch.num_rows() as u64;
            bar.set_position(counts.rows_read());
        }
        writer.finish()?;
        bar.finish_and_clear();
        Ok(counts.finish(rows_out))
    })
}

fn per_operator(
    counts: &RunCounts,
) -> std::collections::BTreeMap<String, pubdata_deid::apply::ColumnCounts> {
    let mut out = std::collections::BTreeMap::<String, pubdata_deid::apply::ColumnCounts>::new();
    for c in counts.columns.values() {
        let entry = out.entry(c.op.clone()).or_default();
        entry.values += c.counts.values;
        entry.invalid += c.counts.invalid;
    }
    out
}

/// Runs `pubdata deid`.
pub fn run(args: DeidArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let options = ReadOptions {
        encoding: args.encoding,
        batch_size: args.batch_size.max(1),
        ..ReadOptions::default()
    };
    let reader = pubdata_tables::open(&args.input, &options)?;
    let schema = reader.schema();
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let (policy, resources) = load_policy(&args.policy, &columns)?;
    let key_id = resources.key.as_ref().map(key_id);
    let format = Format::from_path(&args.out)?;
    if !matches!(format, Format::Csv | Format::Tsv | Format::Parquet) {
        bail!(
            "{}: output must be .csv, .tsv or .parquet",
            args.out.display()
        );
    }
    let counts = run_plan(
        reader,
        &policy,
        &resources,
        &args.out,
        format,
        args.batch_size,
    )
    .with_context(|| format!("{}", args.input.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    let report = DeidReport {
        pubdata_version: env!("CARGO_PKG_VERSION"),
        finished_at: now_utc(),
        seconds,
        policy: FileDigest {
            path: args.policy.display().to_string(),
            sha256: sha256_file(&args.policy)?,
        },
        input: FileDigest {
            path: args.input.display().to_string(),
            sha256: sha256_file(&args.input)?,
        },
        output: FileDigest {
            path: args.out.display().to_string(),
            sha256: sha256_file(&args.out)?,
        },
        key_id,
        on_invalid: policy.dataset.on_invalid,
        operators: per_operator(&counts),
        counts,
    };
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.report {
        super::write_atomically(path, json.as_bytes())?;
    }
    if args.json {
        println!("{json}");
    }
    let c = &report.counts;
    let invalid: u64 = c.columns.values().map(|v| v.counts.invalid).sum();
    eprintln!(
        "de-identified {} rows of {} in {:.2} s ({:.0} rows/s): {} written to {}, {} suppressed by rules, {} invalid values ({})",
        thousands(c.rows_in),
        args.input.display(),
        seconds,
        c.rows_in as f64 / seconds.max(1e-9),
        thousands(c.rows_out),
        args.out.display(),
        thousands(c.rows_suppressed_by_rule),
        thousands(invalid),
        match policy.dataset.on_invalid {
            pubdata_deid::policy::OnInvalid::Fail => "none allowed",
            pubdata_deid::policy::OnInvalid::Null => "written as null",
            pubdata_deid::policy::OnInvalid::SuppressRow => "their rows left out",
        },
    );
    Ok(())
}
