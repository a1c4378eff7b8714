//! Publishing (开放): what a release of a dataset version would do to each column, from a scan of
//! the version's values and the de-identification policy applied, as the plan the platform's
//! opening rules judge ([`pubdata_platform::opening::check_release`]).

use std::time::Instant;

use pubdata_deid::detect::{Detector, PiiType};
use pubdata_deid::policy::{Operator, Policy};
use pubdata_deid::scan::{ColumnReport, ScanOptions, Scanner};
use pubdata_platform::catalog::CatalogEntry;
use pubdata_platform::opening::{ReleaseColumn, ReleasePlan, Treatment, check_release};
use pubdata_platform::store::{JobKind, NewJob, Store, StoreError, StoredPolicy};
use serde::Serialize;

use crate::deid::{DeidReport, deid_loaded, input_columns, load_policy};
use crate::{Control, Input, Output, PolicySource, ReleaseError};
use pubdata_anonymity::policy::AnonymizePolicy;
use pubdata_anonymity::report::AnonymizeReport;

/// What a publish run reports: the run that made the release (a de-identification or an
/// anonymization), and what the scan found in each column and what the release does to it.
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// The run that made the release.
    #[serde(flatten)]
    pub run: Run,
    /// Per column of the version: what the recognizers found and what the release does.
    pub columns: Vec<ColumnPlan>,
}

/// The run behind a release.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Run {
    /// A de-identification policy applied value by value.
    Deid(Box<DeidReport>),
    /// An anonymization whose requirements passed (restricted data with quasi-identifiers).
    Anonymized(Box<AnonymizeReport>),
}

impl PublishReport {
    /// Rows released.
    pub fn rows(&self) -> u64 {
        match &self.run {
            Run::Deid(r) => r.counts.rows_out,
            Run::Anonymized(r) => r.records_out,
        }
    }

    /// SHA-256 of the version's data and of the released object.
    pub fn hashes(&self) -> (String, String) {
        match &self.run {
            Run::Deid(r) => (r.input.sha256.clone(), r.output.sha256.clone()),
            Run::Anonymized(r) => (r.input_sha256.clone(), r.output_sha256.clone()),
        }
    }
}

/// One column's line in a [`PublishReport`].
#[derive(Debug, Clone, Serialize)]
pub struct ColumnPlan {
    /// The column.
    pub name: String,
    /// What its values hold, by the recognizers (`pubdata scan`), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<&'static str>,
    /// `clear`, `transformed` or `dropped`.
    pub treatment: &'static str,
}

/// Makes a release of `input` for `entry` into `output`: scans the values, applies `policy`
/// with every item the catalog keeps closed dropped, and checks the opening rules before a
/// row is written. A refusal names every reason and writes nothing. Returns the plan the rules
/// passed (the store checks it again when recording the release) and the report.
pub fn prepare(
    entry: &CatalogEntry,
    policy: &PolicySource,
    input: &Input,
    output: &Output,
    control: &Control,
) -> Result<(ReleasePlan, PublishReport), ReleaseError> {
    let started = Instant::now();
    output.format()?;
    let scanned = scan(input, control)?;
    let columns = input_columns(input)?;
    let (mut parsed, resources) = load_policy(policy, &columns)?;
    for rule in &mut parsed.columns {
        if entry.items.iter().any(|i| i.name == rule.name && !i.open) {
            rule.operator = Operator::Drop;
        }
    }
    let release_plan = plan(&scanned, Some(&parsed), None);
    check_release(entry, &release_plan).map_err(|refused| {
        ReleaseError::invalid(format!("{}: not publishable: {refused}", input.label()))
    })?;
    let deid = deid_loaded(policy, &parsed, &resources, input, output, control, started)?;
    Ok((
        release_plan.clone(),
        PublishReport {
            run: Run::Deid(Box::new(deid)),
            columns: column_plans(&release_plan),
        },
    ))
}

/// [`prepare`] through an anonymization policy (`[anonymize]`): quasi-identifiers generalized
/// until the policy's requirements pass, dropped columns left out, kept ones as they are. The
/// rules are checked first as if the anonymization passed (an identifier kept in the clear is
/// refused before the search), and the anonymization writes nothing unless its gate passes.
pub fn prepare_anonymized(
    entry: &CatalogEntry,
    policy: &PolicySource,
    input: &Input,
    output: &Output,
    control: &Control,
) -> Result<(ReleasePlan, PublishReport), ReleaseError> {
    output.format()?;
    let scanned = scan(input, control)?;
    let parsed = crate::anonymize::parse_policy(policy)?;
    let refuse = |refused: pubdata_platform::opening::Refusals| {
        ReleaseError::invalid(format!("{}: not publishable: {refused}", input.label()))
    };
    // First as if every quasi-identifier were generalized, so that what no anonymization can
    // help (an identifier kept, a closed item) is refused before the search.
    check_release(entry, &plan_anonymized(&scanned, &parsed, None)).map_err(refuse)?;
    let report = crate::anonymize::anonymize(policy, input, output, None, control)?;
    // Then as it came out: a quasi-identifier left at level 0 is published as it is.
    let release_plan = plan_anonymized(&scanned, &parsed, Some(&report));
    check_release(entry, &release_plan).map_err(refuse)?;
    Ok((
        release_plan.clone(),
        PublishReport {
            run: Run::Anonymized(Box::new(report)),
            columns: column_plans(&release_plan),
        },
    ))
}

/// Whether an anonymization's requirements protect anyone: classes of at least two records, by
/// `k` or by a prosecutor-risk limit. Without one the search may keep every value as it is.
fn protects(policy: &AnonymizePolicy) -> bool {
    let r = &policy.requirements;
    r.k.unwrap_or(0) >= 2 || r.k_for_risk().unwrap_or(0) >= 2
}

/// The plan of an anonymization: quasi-identifiers transformed (or, once `report` says which
/// levels were chosen, in the clear where left at level 0), dropped columns left out, the
/// sensitive column and kept ones in the clear. It counts as an anonymization that passed only
/// if its requirements protect anyone ([`protects`]).
fn plan_anonymized(
    scanned: &[ColumnReport],
    policy: &AnonymizePolicy,
    report: Option<&AnonymizeReport>,
) -> ReleasePlan {
    let columns = scanned
        .iter()
        .map(|c| {
            let kept_as_is = report.is_some_and(|r| {
                r.quasi_identifiers
                    .iter()
                    .any(|q| q.column == c.name && q.level == 0)
            });
            let treatment = if policy.drop.contains(&c.name) {
                Treatment::Dropped
            } else if !kept_as_is && policy.quasi_identifiers.iter().any(|q| q.column == c.name) {
                Treatment::Transformed
            } else {
                Treatment::Clear
            };
            ReleaseColumn {
                name: c.name.clone(),
                detected: found(c),
                treatment,
            }
        })
        .collect();
    ReleasePlan {
        columns,
        deidentified: true,
        anonymization: Some(protects(policy)),
    }
}

fn column_plans(release_plan: &ReleasePlan) -> Vec<ColumnPlan> {
    release_plan
        .columns
        .iter()
        .map(|c| ColumnPlan {
            name: c.name.clone(),
            detected: c.detected.map(|t| t.name()),
            treatment: match c.treatment {
                Treatment::Clear => "clear",
                Treatment::Transformed => "transformed",
                Treatment::Dropped => "dropped",
            },
        })
        .collect()
}

/// Scans what a release wrote before it is recorded: a release for the public whose output still
/// shows a direct identifier in some column (a mask that kept every digit, a redaction told to
/// look for other types, an encryption that keeps identifiers valid) is refused, whatever the
/// policy said it would do. The rules judged the policy; this judges the rows.
pub fn verify_output(
    entry: &CatalogEntry,
    written: &Input,
    control: &Control,
) -> Result<(), ReleaseError> {
    if entry.open != pubdata_platform::catalog::OpenAttribute::Unconditional {
        return Ok(());
    }
    control.report("checking the output", 0);
    let still: Vec<String> = scan(written, control)?
        .iter()
        .filter_map(|c| {
            found(c)
                .filter(|t| t.is_direct_identifier())
                .map(|t| format!("{:?} ({})", c.name, t.name()))
        })
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(ReleaseError::invalid(format!(
            "not publishable: after the policy, column {} still holds direct identifiers; \
             the release was not recorded",
            still.join(", ")
        )))
    }
}

/// Every column of the input scanned as `pubdata scan` does, over the whole stream.
fn scan(input: &Input, control: &Control) -> Result<Vec<ColumnReport>, ReleaseError> {
    let reader = input.open()?;
    let schema = reader.schema();
    let detector = Detector::new();
    let mut scanner = Scanner::new(&detector, &schema, ScanOptions::default());
    control.report("scanning", 0);
    for batch in reader {
        control.check()?;
        let batch = batch.map_err(|e| ReleaseError::invalid(format!("{}: {e}", input.label())))?;
        scanner
            .push(&batch)
            .map_err(|e| ReleaseError::invalid(format!("{}: {e}", input.label())))?;
        control.report("scanning", scanner.rows());
    }
    Ok(scanner.finish())
}

/// The de-identification policy that publishes a version as the catalog describes it: every
/// column kept, those the catalog keeps closed dropped. Publishing without a policy of one's own
/// stores this one, so the record names exactly what was applied; the opening rules still
/// refuse it where a column identifies people.
pub fn as_catalogued_policy(entry: &CatalogEntry) -> String {
    let mut text = String::from("version = 1\n");
    for item in &entry.items {
        // TOML basic strings: names are JSON-escaped, which TOML reads the same way.
        let name = serde_json::to_string(&item.name).unwrap_or_default();
        let op = if item.open { "keep" } else { "drop" };
        text.push_str(&format!("[columns.{name}]\nop = \"{op}\"\n"));
    }
    text
}

/// The stored policy that publishes `entry` as catalogued ([`as_catalogued_policy`]), stored
/// once per text under a name that says so, so that the record names exactly what was applied.
pub async fn catalogued_policy(
    store: &Store,
    entry_id: &str,
    entry: &CatalogEntry,
    actor: &str,
) -> Result<StoredPolicy, StoreError> {
    let text = as_catalogued_policy(entry);
    let digest = crate::hex_sha256(text.as_bytes());
    let name = format!("{entry_id} as catalogued {}", &digest[..12]);
    // Names are global: a policy someone else stored under this name is not this one.
    if let Some(p) = store.policies().await?.into_iter().find(|p| {
        p.name == name && p.owner == entry.owner && p.kind == JobKind::Deid && p.sha256 == digest
    }) {
        return Ok(p);
    }
    store
        .create_policy(actor, &name, JobKind::Deid, &text, &entry.owner)
        .await
}

/// Queues a release of the current version of every demo entry open to the public that has
/// data and no release yet, as catalogued; returns the jobs. `serve --demo` waits for them.
pub async fn queue_demo_releases(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut jobs = Vec::new();
    for e in store.entries_with_open(&["unconditional"]).await? {
        let Some(v) = store
            .versions(&e.id)
            .await?
            .into_iter()
            .max_by_key(|v| v.version)
        else {
            continue;
        };
        if !store.releases(&e.id).await?.is_empty() {
            continue;
        }
        let policy = catalogued_policy(store, &e.id, &e.entry, "demo").await?;
        let job = store
            .submit_job(
                "demo",
                &NewJob {
                    kind: JobKind::Publish,
                    entry_id: e.id.clone(),
                    version: v.version,
                    policy_id: policy.id,
                    owner: e.entry.owner.clone(),
                },
            )
            .await?;
        jobs.push(job.id);
    }
    Ok(jobs)
}

/// The plan of a release of the scanned columns under `policy` (none: every column as it is),
/// with whether an anonymization ran and passed.
pub fn plan(
    scanned: &[ColumnReport],
    policy: Option<&Policy>,
    anonymization: Option<bool>,
) -> ReleasePlan {
    let columns: Vec<ReleaseColumn> = scanned
        .iter()
        .map(|c| {
            let rule = policy.and_then(|p| p.columns.iter().find(|r| r.name == c.name));
            // A column the policy does not name is published as it is: the rules then judge it
            // by what it holds, which errs toward refusing.
            let treatment = match rule.map(|r| &r.operator) {
                None | Some(Operator::Keep) => Treatment::Clear,
                Some(Operator::Drop) => Treatment::Dropped,
                Some(_) => Treatment::Transformed,
            };
            ReleaseColumn {
                name: c.name.clone(),
                detected: found(c),
                treatment,
            }
        })
        .collect();
    // A policy that keeps every column as it is de-identifies nothing (the as-catalogued one, for
    // a restricted entry whose items are all open).
    let deidentified = policy.is_some()
        && columns
            .iter()
            .any(|c: &ReleaseColumn| c.treatment != Treatment::Clear);
    ReleasePlan {
        columns,
        deidentified,
        anonymization,
    }
}

/// What a scanned column holds: its structured type, or for free text the most identifying
/// kind of span found in it (a direct identifier before any other).
fn found(c: &ColumnReport) -> Option<PiiType> {
    if let Some(t) = c.pii_type() {
        return Some(t);
    }
    let spans: Vec<PiiType> = c
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .filter_map(|(name, _)| name.parse().ok())
        .collect();
    spans
        .iter()
        .copied()
        .find(|t| t.is_direct_identifier())
        .or_else(|| spans.first().copied())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use pubdata_deid::detect::Detector;
    use pubdata_deid::scan::{ScanOptions, Scanner};
    use pubdata_platform::catalog::{
        CatalogEntry, DataItem, DataType as ItemType, OpenAttribute, SecurityGrade,
        SharingAttribute, UpdateCycle,
    };
    use pubdata_platform::opening::{Audience, Refusal, check_release};

    use super::*;

    /// A version's columns as `pubdata scan` reads them: mobile numbers the catalog does not
    /// declare, remarks that name people, and plain figures.
    fn scanned() -> Vec<ColumnReport> {
        let rows = 60;
        let text = |f: &dyn Fn(usize) -> String| -> ArrayRef {
            Arc::new(StringArray::from((0..rows).map(f).collect::<Vec<_>>()))
        };
        let schema = Arc::new(Schema::new(
            ["contact", "remarks", "usage"]
                .map(|n| Field::new(n, DataType::Utf8, true))
                .to_vec(),
        ));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                text(&|i| format!("1381234{:04}", 1000 + i)),
                text(&|i| format!("用户张伟反映第{i}号水表读数异常，请联系13912345678核实。")),
                text(&|i| format!("{}.5", 10 + i)),
            ],
        )
        .expect("batch");
        let detector = Detector::new();
        let mut scanner = Scanner::new(&detector, &schema, ScanOptions::default());
        scanner.push(&batch).expect("scan");
        scanner.finish()
    }

    fn entry() -> CatalogEntry {
        let item = |name: &str| DataItem {
            name: name.into(),
            label: name.into(),
            data_type: ItemType::Text,
            personal_info: None,
            grade: SecurityGrade::L1,
            required: false,
            key: false,
            open: true,
        };
        CatalogEntry {
            title: "t".into(),
            description: String::new(),
            owner: "o".into(),
            items: vec![item("contact"), item("remarks"), item("usage")],
            update_cycle: UpdateCycle::Monthly,
            sharing: SharingAttribute::Unconditional,
            sharing_reason: None,
            open: OpenAttribute::Unconditional,
            open_reason: None,
            theme: None,
        }
    }

    fn refused_columns(r: Result<Audience, pubdata_platform::opening::Refusals>) -> Vec<String> {
        match r {
            Ok(_) => Vec::new(),
            Err(refusals) => refusals
                .0
                .into_iter()
                .filter_map(|r| match r {
                    Refusal::InTheClear { column, why } => Some(format!("{column}:{why}")),
                    _ => None,
                })
                .collect(),
        }
    }

    #[test]
    fn what_the_values_hold_decides_even_where_the_catalog_is_silent() {
        let scanned = scanned();
        // As it is: both identifying columns are named, with what they hold.
        let bare = plan(&scanned, None, None);
        assert_eq!(
            refused_columns(check_release(&entry(), &bare)),
            ["contact:cn_mobile", "remarks:cn_mobile"]
        );
        // A policy that masks the numbers but keeps the remarks still publishes the remarks.
        let half = Policy::parse(
            "version = 1\n[columns.contact]\nop = \"mask\"\nkeep_first = 3\nkeep_last = 2\n\
             [columns.remarks]\nop = \"keep\"\n[columns.usage]\nop = \"keep\"\n",
        )
        .expect("policy");
        assert_eq!(
            refused_columns(check_release(&entry(), &plan(&scanned, Some(&half), None))),
            ["remarks:cn_mobile"]
        );
        // Redacting the remarks (or dropping them) makes it publishable, to anyone.
        let full = Policy::parse(
            "version = 1\n[columns.contact]\nop = \"mask\"\nkeep_first = 3\nkeep_last = 2\n\
             [columns.remarks]\nop = \"drop\"\n[columns.usage]\nop = \"keep\"\n",
        )
        .expect("policy");
        let p = plan(&scanned, Some(&full), None);
        assert_eq!(check_release(&entry(), &p), Ok(Audience::Public));
        assert_eq!(p.columns[1].treatment, Treatment::Dropped);
    }
}
