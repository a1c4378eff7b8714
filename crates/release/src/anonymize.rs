//! Anonymization: the optimal full-domain generalization that meets the policy's requirements,
//! found over the input's frequency table, then written in a second streaming pass (quasi-
//! identifiers generalized, suppressed records and dropped columns left out), with risk and
//! utility before and after. When no transformation meets the requirements nothing is written.

use std::sync::Arc;
use std::time::Instant;

use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use pubdata_anonymity::config::PrivacyModel;
use pubdata_anonymity::domain::{MissingValues, QiDomain, SensitiveDomain};
use pubdata_anonymity::evaluate::{Evaluator, Problem};
use pubdata_anonymity::freq::FrequencyBuilder;
use pubdata_anonymity::hierarchy::Hierarchy;
use pubdata_anonymity::lattice::Lattice;
use pubdata_anonymity::policy::{AnonymizePolicy, HierarchyBuilder, HierarchySpec};
use pubdata_anonymity::release::Release;
use pubdata_anonymity::report::AnonymizeReport;
use pubdata_anonymity::risk::assess;
use pubdata_tables::cast_to_utf8;

use crate::grouped::{Grouped, group};
use crate::{Control, Input, Output, PolicySource, ReleaseError};

/// Largest frequency table put in combination order before the search.
const SORT_LIMIT: usize = 1 << 24;

/// Parses the `[anonymize]` table of a policy and refuses files a stored policy cannot name.
pub fn parse_policy(source: &PolicySource) -> Result<AnonymizePolicy, ReleaseError> {
    let policy =
        AnonymizePolicy::parse(&source.text, &source.label).map_err(ReleaseError::invalid)?;
    for q in &policy.quasi_identifiers {
        if let HierarchySpec::Built(HierarchyBuilder::File(f)) = &q.hierarchy {
            source.base_for(&format!("hierarchy file {}", f.display()))?;
        }
    }
    Ok(policy)
}

/// Encodes grouped rows against the quasi-identifiers' hierarchies (in column order, then the
/// sensitive column last in `grouped`); values a hierarchy lacks are an error listing them.
pub fn build_problem(
    hierarchies: &[(String, Hierarchy)],
    sensitive: Option<&str>,
    grouped: &Grouped,
) -> Result<Problem, ReleaseError> {
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
            return Err(ReleaseError::invalid(MissingValues::new(name, missing)));
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

/// Anonymizes `input` into `output` under `policy`: the whole pipeline every door runs.
/// `threshold` is the risk above which a record counts as at risk in the report (default: the
/// policy's `max_prosecutor_risk`, else 0.2).
pub fn anonymize(
    source: &PolicySource,
    input: &Input,
    output: &Output,
    threshold: Option<f64>,
    control: &Control,
) -> Result<AnonymizeReport, ReleaseError> {
    let start = Instant::now();
    let policy = parse_policy(source)?;
    output.format()?;
    let schema = input.open()?.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let (without_role, absent) = policy.unaccounted(&names);
    if !absent.is_empty() {
        return Err(ReleaseError::invalid(format!(
            "{}: names columns {} that {} does not have",
            source.label,
            absent.join(", "),
            input.label()
        )));
    }
    if !without_role.is_empty() {
        return Err(ReleaseError::invalid(format!(
            "{}: columns {} of {} have no role: list each as a quasi-identifier, under keep or under drop",
            source.label,
            without_role.join(", "),
            input.label()
        )));
    }
    let qi_names: Vec<String> = policy
        .quasi_identifiers
        .iter()
        .map(|q| q.column.clone())
        .collect();
    let mut columns = qi_names.clone();
    columns.extend(policy.sensitive.clone());
    let grouped = group(input, &columns, control)?;

    // Hierarchies from the values present, then the frequency table over leaf ids. A stored
    // policy has no folder, and was refused above if it named a file.
    let base = source.base.clone().unwrap_or_default();
    let mut hierarchies = Vec::with_capacity(qi_names.len());
    for (j, q) in policy.quasi_identifiers.iter().enumerate() {
        let hierarchy = q
            .hierarchy
            .build(&base, grouped.values[j].iter().map(String::as_str))
            .map_err(|e| {
                ReleaseError::invalid(format!("{}: column {}: {e}", source.label, q.column))
            })?;
        hierarchies.push((q.column.clone(), hierarchy));
    }
    let problem = build_problem(&hierarchies, policy.sensitive.as_deref(), &grouped)
        .map_err(|e| ReleaseError::invalid(format!("{}: {e}", input.label())))?;
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
                    let path = source
                        .base_for(&format!("hierarchy file {}", file))?
                        .join(file);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| ReleaseError::invalid(format!("{}: {e}", path.display())))?;
                    Some(
                        Hierarchy::parse(&text).map_err(|e| {
                            ReleaseError::invalid(format!("{}: {e}", path.display()))
                        })?,
                    )
                }
                None => None,
            };
            distances.push(
                pubdata_anonymity::tcloseness::prepare(&problem, *distance, h)
                    .map_err(ReleaseError::invalid)?,
            );
        }
    }
    control.check()?;
    control.report("searching", grouped.rows);
    let evaluator = Evaluator::new(&problem, &config, distances);
    let found = pubdata_anonymity::search::search(&evaluator, &config);
    control.check()?;
    let Some(found) = found else {
        return Err(ReleaseError::invalid(format!(
            "no transformation meets the requirements ({}) on {}; nothing written",
            describe_requirements(&policy),
            input.label()
        )));
    };
    let release = Release::new(&evaluator, &found.node);
    let checks = release.check(&evaluator, &policy.requirements);
    if let Some(miss) = checks.iter().find(|c| !c.met) {
        return Err(ReleaseError::invalid(format!(
            "the best transformation misses {} ({} required, {} achieved); nothing written",
            miss.name, miss.required, miss.achieved
        )));
    }

    let (records_out, written) =
        write_output(input, output, &policy, &evaluator, &release, control)?;

    let threshold = threshold
        .or(policy.requirements.max_prosecutor_risk)
        .unwrap_or(0.2);
    let bottom = evaluator.outcome_exact(&vec![0; q]);
    Ok(AnonymizeReport {
        input: input.label().to_string(),
        output: output.label(),
        policy: source.label.clone(),
        policy_sha256: source.sha256(),
        input_sha256: input.sha256()?,
        output_sha256: written.sha256,
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
    })
}

/// Second pass: generalize the quasi-identifiers, leave out suppressed records and dropped
/// columns, write whole or not at all. Returns the records written and what was written.
fn write_output(
    input: &Input,
    output: &Output,
    policy: &AnonymizePolicy,
    evaluator: &Evaluator<'_>,
    release: &Release,
    control: &Control,
) -> Result<(u64, crate::output::Written), ReleaseError> {
    let reader = input.open()?;
    let schema = reader.schema();
    let qis = &evaluator.problem.qis;
    let qi_index: Vec<usize> = qis
        .iter()
        .map(|q| schema.index_of(&q.name))
        .collect::<Result<_, _>>()
        .map_err(ReleaseError::invalid)?;
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
    let mut writer = output.writer(out_schema.clone())?;
    let mut written = 0u64;
    let mut read = 0u64;
    let mut leaves = vec![0u32; qis.len()];
    control.report("writing", 0);
    for batch in reader {
        control.check()?;
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
                leaves[j] = q.encode(value).ok_or_else(|| {
                    ReleaseError::invalid(format!(
                        "{}: column {}: a value absent from the first pass; did the file change?",
                        input.label(),
                        q.name
                    ))
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
        let out =
            RecordBatch::try_new(out_schema.clone(), columns).map_err(ReleaseError::invalid)?;
        let out = arrow_select::filter::filter_record_batch(&out, &BooleanArray::from(mask))
            .map_err(ReleaseError::invalid)?;
        written += out.num_rows() as u64;
        writer.write(&out)?;
        read += n as u64;
        control.report("writing", read);
    }
    control.check()?;
    let done = writer.finish()?;
    Ok((written, done))
}
