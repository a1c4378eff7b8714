//! Publishing (开放): what a release of a dataset version would do to each column, from a scan of
//! the version's values and the de-identification policy applied, as the plan the platform's
//! opening rules judge ([`pubdata_platform::opening::check_release`]).

use pubdata_deid::detect::PiiType;
use pubdata_deid::policy::{Operator, Policy};
use pubdata_deid::scan::ColumnReport;
use pubdata_platform::opening::{ReleaseColumn, ReleasePlan, Treatment};

/// The plan of a release of the scanned columns under `policy` (none: every column as it is),
/// with whether an anonymization ran and passed.
pub fn plan(
    scanned: &[ColumnReport],
    policy: Option<&Policy>,
    anonymization: Option<bool>,
) -> ReleasePlan {
    let columns = scanned
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
    ReleasePlan {
        columns,
        deidentified: policy.is_some(),
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
