//! `pubdata anonymize`: finds the optimal full-domain generalization that meets the policy's
//! requirements, writes the generalized table without the suppressed records, and reports risk
//! and utility before and after. When no transformation meets the requirements it writes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use clap::Args;
use pubdata_anonymity::config::PrivacyModel;
use pubdata_anonymity::domain::{MissingValues, QiDomain, SensitiveDomain};
use pubdata_anonymity::evaluate::{Evaluator, Problem};
use pubdata_anonymity::freq::FrequencyBuilder;
use pubdata_anonymity::lattice::Lattice;
use pubdata_anonymity::policy::AnonymizePolicy;
use pubdata_anonymity::release::Release;
use pubdata_anonymity::report::AnonymizeReport;
use pubdata_anonymity::risk::assess;
use pubdata_tables::{Format, ReadOptions, TableWriter, TextEncoding, cast_to_utf8};

use super::deid::sha256_file;
use super::grouped::{group, parse_delimiter};
use crate::progress::{rows_bar, thousands};

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
    let start = Instant::now();
    let policy = AnonymizePolicy::load(&args.policy)?;
    let format = Format::from_path(&args.out)?;
    if !matches!(format, Format::Csv | Format::Tsv | Format::Parquet) {
        bail!(
            "{}: output must be .csv, .tsv or .parquet",
            args.out.display()
        );
    }
    let base = args
        .policy
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let options = ReadOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        ..ReadOptions::default()
    };
    let schema = pubdata_tables::open(&args.input, &options)?.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let (without_role, absent) = policy.unaccounted(&names);
    if !absent.is_empty() {
        bail!(
            "{}: names columns {} that {} does not have",
            args.policy.display(),
            absent.join(", "),
            args.input.display()
        );
    }
    if !without_role.is_empty() {
        bail!(
            "{}: columns {} of {} have no role: list each as a quasi-identifier, under keep or under drop",
            args.policy.display(),
            without_role.join(", "),
            args.input.display()
        );
    }
    let qi_names: Vec<String> = policy
        .quasi_identifiers
        .iter()
        .map(|q| q.column.clone())
        .collect();
    let mut columns = qi_names.clone();
    columns.extend(policy.sensitive.clone());
    let grouped = group(&args.input, &options, &columns)?;

    // Hierarchies from the values present, then the frequency table over leaf ids.
    let mut hierarchies = Vec::with_capacity(qi_names.len());
    for (j, q) in policy.quasi_identifiers.iter().enumerate() {
        let hierarchy = q
            .hierarchy
            .build(&base, grouped.values[j].iter().map(String::as_str))
            .map_err(|e| anyhow::anyhow!("{}: column {}: {e}", args.policy.display(), q.column))?;
        hierarchies.push((q.column.clone(), hierarchy));
    }
    let problem = build_problem(&hierarchies, policy.sensitive.as_deref(), &grouped)
        .with_context(|| args.input.display().to_string())?;
    let q = problem.qis.len();
    let config = policy.search_config();
    let mut distances = Vec::new();
    for m in &config.models {
        if let PrivacyModel::TCloseness {
            distance,
            hierarchy,
            ..
        } = m
        {
            let h = match hierarchy {
                Some(file) => {
                    let path = base.join(file);
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| path.display().to_string())?;
                    Some(
                        pubdata_anonymity::hierarchy::Hierarchy::parse(&text)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                    )
                }
                None => None,
            };
            distances.push(
                pubdata_anonymity::tcloseness::prepare(&problem, *distance, h)
                    .map_err(anyhow::Error::msg)?,
            );
        }
    }
    let evaluator = Evaluator::new(&problem, &config, distances);
    let found = pubdata_anonymity::search::search(&evaluator, &config);
    let requirements = describe_requirements(&policy);
    let Some(found) = found else {
        bail!(
            "no transformation meets the requirements ({requirements}) on {}; nothing written",
            args.input.display()
        );
    };
    let release = Release::new(&evaluator, &found.node);
    let checks = release.check(&evaluator, &policy.requirements);
    if let Some(miss) = checks.iter().find(|c| !c.met) {
        bail!(
            "the best transformation misses {} ({} required, {} achieved); nothing written",
            miss.name,
            miss.required,
            miss.achieved
        );
    }

    let records_out = write_output(&args, &options, &policy, &evaluator, &release, format)?;

    let threshold = args
        .threshold
        .or(policy.requirements.max_prosecutor_risk)
        .unwrap_or(0.2);
    let bottom = evaluator.outcome_exact(&vec![0; q]);
    let report = AnonymizeReport {
        input: args.input.display().to_string(),
        output: args.out.display().to_string(),
        policy: args.policy.display().to_string(),
        policy_sha256: sha256_file(&args.policy)?,
        records_in: grouped.rows,
        records_out,
        suppressed: release.suppressed_records(),
        metric: config.metric.to_string(),
        score: found.evaluation.loss.unwrap_or(f64::NAN),
        quasi_identifiers: release.qi_summaries(
            &evaluator,
            &policy
                .quasi_identifiers
                .iter()
                .map(|q| q.hierarchy.describe())
                .collect::<Vec<_>>(),
        ),
        requirements: checks,
        risk_before: assess(&bottom.classes.sizes, threshold, 1.0),
        risk_after: release.risk(threshold, 1.0),
        transformations_checked: evaluator.checks.get(),
        lattice_size: Lattice::new(&evaluator.heights()).size() as u64,
        seconds: start.elapsed().as_secs_f64(),
    };
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

/// Largest frequency table put in combination order before the search.
const SORT_LIMIT: usize = 1 << 24;

/// Encodes grouped rows against the quasi-identifiers' hierarchies (in column order, then the
/// sensitive column last in `grouped`); values a hierarchy lacks are an error listing them.
pub fn build_problem(
    hierarchies: &[(String, pubdata_anonymity::hierarchy::Hierarchy)],
    sensitive: Option<&str>,
    grouped: &super::grouped::Grouped,
) -> anyhow::Result<Problem> {
    let mut qis = Vec::with_capacity(hierarchies.len());
    let mut local_to_leaf: Vec<Vec<u32>> = Vec::with_capacity(hierarchies.len());
    for (j, (name, hierarchy)) in hierarchies.iter().enumerate() {
        let domain = QiDomain::new(name, hierarchy);
        let mut missing = Vec::new();
        let map: Vec<u32> = grouped.values[j]
            .iter()
            .map(|v| {
                domain.encode(v).unwrap_or_else(|| {
                    missing.push(v.clone());
                    0
                })
            })
            .collect();
        if !missing.is_empty() {
            bail!(MissingValues::new(name, missing));
        }
        qis.push(domain);
        local_to_leaf.push(map);
    }
    let q = qis.len();
    let sensitive = sensitive.map(|s| SensitiveDomain::new(s, grouped.values[q].clone()));
    let mut builder = FrequencyBuilder::new(q, sensitive.as_ref().map(|s| s.values.len()));
    let mut leaves = vec![0u32; q];
    for (i, t) in grouped.tuples.chunks_exact(grouped.width()).enumerate() {
        for j in 0..q {
            leaves[j] = local_to_leaf[j][t[j] as usize];
        }
        builder.add(&leaves, sensitive.as_ref().map(|_| t[q]), grouped.counts[i]);
    }
    let mut table = builder.finish();
    // Sorting needs about 24 bytes a combination on top of the table; past this size (the 100M-row
    // benchmark has 99.9M combinations) the memory matters more than the locality.
    if table.len() <= SORT_LIMIT {
        table.sort_by_combination();
    }
    Ok(Problem {
        qis,
        table,
        sensitive,
    })
}

fn describe_requirements(policy: &AnonymizePolicy) -> String {
    let r = &policy.requirements;
    let mut parts = Vec::new();
    if let Some(k) = r.k {
        parts.push(format!("k >= {k}"));
    }
    if let Some(l) = r.l {
        parts.push(format!(
            "l >= {l} on {}",
            policy.sensitive.as_deref().unwrap_or("?")
        ));
    }
    if let Some(t) = r.t {
        parts.push(format!("t <= {t}"));
    }
    if let Some(p) = r.max_prosecutor_risk {
        parts.push(format!("highest prosecutor risk <= {p}"));
    }
    parts.push(format!(
        "at most {} % suppressed",
        r.max_suppressed.unwrap_or(0.0) * 100.0
    ));
    for m in &policy.models {
        parts.push(format!("{m:?}"));
    }
    parts.join(", ")
}

/// Second pass: generalize the quasi-identifiers, leave out suppressed records and dropped
/// columns, write through a temporary file. Returns the records written.
fn write_output(
    args: &AnonymizeArgs,
    options: &ReadOptions,
    policy: &AnonymizePolicy,
    evaluator: &Evaluator<'_>,
    release: &Release,
    format: Format,
) -> anyhow::Result<u64> {
    let reader = pubdata_tables::open(&args.input, options)?;
    let schema = reader.schema();
    let qis = &evaluator.problem.qis;
    let qi_index: Vec<usize> = qis
        .iter()
        .map(|q| schema.index_of(&q.name))
        .collect::<Result<_, _>>()?;
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|i| !policy.drop.contains(schema.field(*i).name()))
        .collect();
    let fields: Vec<Field> = keep
        .iter()
        .map(|&i| {
            let f = schema.field(i);
            if qi_index.contains(&i) {
                Field::new(f.name(), DataType::Utf8, true)
            } else {
                f.clone()
            }
        })
        .collect();
    let out_schema = Arc::new(Schema::new(fields));
    let mut writer = TableWriter::create(&args.out, format, out_schema.clone())?;
    let bar = rows_bar(None, "writing");
    let mut written = 0u64;
    let mut leaves = vec![0u32; qis.len()];
    for batch in reader {
        let batch = batch?;
        let texts: Vec<StringArray> = qi_index
            .iter()
            .map(|&i| cast_to_utf8(batch.column(i)))
            .collect::<Result<_, _>>()?;
        let n = batch.num_rows();
        let mut generalized: Vec<Vec<&str>> = vec![Vec::with_capacity(n); qis.len()];
        let mut mask = Vec::with_capacity(n);
        let mut key = Vec::with_capacity(qis.len());
        for r in 0..n {
            for (j, (q, text)) in qis.iter().zip(&texts).enumerate() {
                let value = if text.is_null(r) { "" } else { text.value(r) };
                // Every value was seen in the first pass; one that was not means the file
                // changed between passes, and passing it through could leak it.
                leaves[j] = q.encode(value).with_context(|| {
                    format!(
                        "{}: column {}: a value absent from the first pass; did the file change?",
                        args.input.display(),
                        q.name
                    )
                })?;
                generalized[j].push(q.label(leaves[j], release.node[j]));
            }
            mask.push(!release.is_suppressed(evaluator, &leaves, &mut key));
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(keep.len());
        for &i in &keep {
            match qi_index.iter().position(|&x| x == i) {
                Some(j) => columns.push(Arc::new(StringArray::from(std::mem::take(
                    &mut generalized[j],
                )))),
                None => columns.push(batch.column(i).clone()),
            }
        }
        let out = RecordBatch::try_new(out_schema.clone(), columns)?;
        let out = arrow_select::filter::filter_record_batch(&out, &BooleanArray::from(mask))?;
        written += out.num_rows() as u64;
        writer.write(&out)?;
        bar.inc(n as u64);
    }
    writer.finish()?;
    bar.finish_and_clear();
    Ok(written)
}
