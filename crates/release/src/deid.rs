//! De-identification: a policy checked against the table once, run as a DataFusion plan over
//! the input's stream, written whole or not at all, with a report that ties the output to its
//! input, policy and key by their hashes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use pubdata_deid::apply::{ColumnCounts, Resources, RunCounts};
use pubdata_deid::keys::Key;
use pubdata_deid::policy::{Generalization, OnInvalid, Operator, Policy, PolicyError};
use pubdata_deid::transform::dates::Date;
use pubdata_deid::transform::hierarchy::Hierarchy;
use pubdata_tables::TableReader;
use serde::Serialize;

use crate::output::Written;
use crate::{Control, Input, Output, PolicySource, ReleaseError};

/// A file (or object, or dataset version) named in the report with its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct FileDigest {
    /// What it is called: a path, an object key or a version's table name.
    pub path: String,
    /// SHA-256 of its bytes, as hex.
    pub sha256: String,
}

/// The report of one run: enough for an auditor to tie an output to its input, policy and key.
#[derive(Debug, Clone, Serialize)]
pub struct DeidReport {
    /// The version of pubdata that ran.
    pub pubdata_version: String,
    /// When the run finished (UTC).
    pub finished_at: String,
    /// How long it took.
    pub seconds: f64,
    /// The policy.
    pub policy: FileDigest,
    /// The input.
    pub input: FileDigest,
    /// The output.
    pub output: FileDigest,
    /// A fingerprint of the key (HMAC of a fixed label), never the key itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// What happened to values that did not parse.
    pub on_invalid: OnInvalid,
    /// Values transformed and values that did not parse, summed per operator.
    pub operators: BTreeMap<String, ColumnCounts>,
    /// Rows and values counted.
    pub counts: RunCounts,
}

impl DeidReport {
    /// Invalid values over all columns.
    pub fn invalid(&self) -> u64 {
        self.counts.columns.values().map(|c| c.counts.invalid).sum()
    }
}

/// Formats policy errors as `POLICY:LINE: message`, one per line.
pub fn policy_errors(label: &str, errors: &[PolicyError]) -> String {
    errors
        .iter()
        .map(|e| match e.line {
            0 => format!("{label}: {}", e.message),
            n => format!("{label}:{n}: {}", e.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses a policy, checks it against the table's columns, and loads what it names: the key and
/// the hierarchy files (relative to the policy's folder).
pub fn load_policy(
    source: &PolicySource,
    columns: &[String],
) -> Result<(Policy, Resources), ReleaseError> {
    let label = &source.label;
    let policy =
        Policy::parse(&source.text).map_err(|e| ReleaseError::invalid(policy_errors(label, &e)))?;
    let errors = policy.check_columns(columns);
    if !errors.is_empty() {
        return Err(ReleaseError::invalid(policy_errors(label, &errors)));
    }
    let key =
        match &policy.dataset.key {
            Some(key_source) if policy.columns.iter().any(|c| c.operator.is_keyed()) => {
                let base = match key_source {
                    pubdata_deid::policy::KeySource::File(_) => source.base_for("a key file")?,
                    pubdata_deid::policy::KeySource::Env(_) => std::path::Path::new("."),
                };
                Some(Key::load(key_source, base).map_err(|e| {
                    ReleaseError::invalid(format!("{label}: cannot load the key: {e}"))
                })?)
            }
            _ => None,
        };
    let mut hierarchies = HashMap::new();
    for rule in &policy.columns {
        if let Operator::Generalize(Generalization::Hierarchy { file, .. }) = &rule.operator {
            let p = source
                .base_for(&format!("hierarchy file {file}"))?
                .join(file);
            let text = std::fs::read_to_string(&p).map_err(|e| {
                ReleaseError::invalid(format!(
                    "{label}:{}: cannot read hierarchy {}: {e}",
                    rule.line,
                    p.display()
                ))
            })?;
            let h = Hierarchy::parse(&text)
                .map_err(|e| ReleaseError::invalid(format!("hierarchy {}: {e}", p.display())))?;
            hierarchies.insert(file.clone(), Arc::new(h));
        }
    }
    Ok((
        policy,
        Resources {
            key,
            today: Date::today(),
            hierarchies,
        },
    ))
}

/// A fingerprint of a key for reports: the first 16 hex digits of HMAC(key, label).
pub fn key_id(key: &Key) -> String {
    key.derive("pubdata/key-id/v1").to_hex()[..16].to_string()
}

/// Runs the policy as a DataFusion plan over the reader's stream and writes the result to
/// `output`; returns the run's counts and what was written. Nothing is written on an error or
/// a cancel.
pub fn run_plan(
    reader: TableReader,
    policy: &Policy,
    resources: &Resources,
    output: &Output,
    batch_size: usize,
    control: &Control,
) -> Result<(RunCounts, Written), ReleaseError> {
    // One partition on one thread: the input is one stream, and "rows/s per core" is what the
    // benchmark reports. Distribution is Ballista's job, not a thread pool's.
    let config = datafusion::prelude::SessionConfig::new()
        .with_target_partitions(1)
        .with_batch_size(batch_size.max(1));
    let ctx = datafusion::prelude::SessionContext::new_with_config(config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(ReleaseError::invalid)?;
    runtime.block_on(async {
        let (frame, counts) = pubdata_query::deid_frame(&ctx, reader, policy, resources)
            .map_err(ReleaseError::invalid)?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let mut stream = frame.execute_stream().await.map_err(crate::plan_error)?;
        // An error or a cancel drops the writer, which removes its temporary file.
        let mut writer = output.writer(schema)?;
        let mut rows_out = 0u64;
        control.report("de-identifying", 0);
        while let Some(batch) = stream.next().await {
            control.check()?;
            let batch = batch.map_err(crate::plan_error)?;
            writer.write(&batch)?;
            rows_out += batch.num_rows() as u64;
            control.report("de-identifying", counts.rows_read());
        }
        control.check()?;
        let written = writer.finish()?;
        Ok((counts.finish(rows_out), written))
    })
}

fn per_operator(counts: &RunCounts) -> BTreeMap<String, ColumnCounts> {
    let mut out = BTreeMap::<String, ColumnCounts>::new();
    for c in counts.columns.values() {
        let entry = out.entry(c.op.clone()).or_default();
        entry.values += c.counts.values;
        entry.invalid += c.counts.invalid;
    }
    out
}

/// De-identifies `input` into `output` under `policy`: the whole pipeline every door runs.
pub fn deid(
    policy: &PolicySource,
    input: &Input,
    output: &Output,
    control: &Control,
) -> Result<DeidReport, ReleaseError> {
    let start = Instant::now();
    output.format()?;
    let columns = input_columns(input)?;
    let (parsed, resources) = load_policy(policy, &columns)?;
    deid_loaded(policy, &parsed, &resources, input, output, control, start)
}

/// The input's column names.
pub fn input_columns(input: &Input) -> Result<Vec<String>, ReleaseError> {
    Ok(input
        .open()?
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect())
}

/// [`deid`] with the policy already loaded (and possibly tightened by the caller, as publishing
/// drops the items the catalog keeps closed); `started` is when the run began, for the report.
pub fn deid_loaded(
    policy: &PolicySource,
    parsed: &Policy,
    resources: &Resources,
    input: &Input,
    output: &Output,
    control: &Control,
    started: Instant,
) -> Result<DeidReport, ReleaseError> {
    let key_id = resources.key.as_ref().map(key_id);
    let batch_size = input.options().batch_size;
    let (counts, written) = run_plan(
        input.open()?,
        parsed,
        resources,
        output,
        batch_size,
        control,
    )
    .map_err(|e| match e {
        ReleaseError::Invalid(m) => ReleaseError::Invalid(format!("{}: {m}", input.label())),
        other => other,
    })?;
    Ok(DeidReport {
        pubdata_version: env!("CARGO_PKG_VERSION").to_string(),
        finished_at: crate::now_utc(),
        seconds: started.elapsed().as_secs_f64(),
        policy: FileDigest {
            path: policy.label.clone(),
            sha256: policy.sha256(),
        },
        input: FileDigest {
            path: input.label().to_string(),
            sha256: input.sha256()?,
        },
        output: FileDigest {
            path: output.label(),
            sha256: written.sha256,
        },
        key_id,
        on_invalid: parsed.dataset.on_invalid,
        operators: per_operator(&counts),
        counts,
    })
}
