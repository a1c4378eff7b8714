//! The `[anonymize]` table of a policy file: quasi-identifiers with their hierarchies, the
//! privacy models, the metric, and the requirements a release must meet (the gate).
//!
//! ```toml
//! [anonymize]
//! sensitive = "diagnosis"
//! metric = { metric = "loss" }
//!
//! [[anonymize.quasi_identifiers]]
//! column = "birth_date"
//! hierarchy = "dates"
//!
//! [[anonymize.quasi_identifiers]]
//! column = "age"
//! hierarchy = { intervals = [5, 10, 20] }
//!
//! [anonymize.requirements]
//! k = 10
//! l = 3
//! max_prosecutor_risk = 0.1
//! max_suppressed = 0.02
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{GroundDistance, Metric, PrivacyModel, SearchConfig};
use crate::hierarchy::{Hierarchy, build};

/// A policy file's anonymization part.
#[derive(Debug, Clone, Deserialize)]
struct PolicyFile {
    anonymize: Option<AnonymizePolicy>,
}

/// What `pubdata anonymize` is asked to do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymizePolicy {
    /// Columns an attacker may know, each with its hierarchy.
    pub quasi_identifiers: Vec<QuasiIdentifier>,
    /// The sensitive column that l-diversity and t-closeness protect.
    #[serde(default)]
    pub sensitive: Option<String>,
    /// Models beyond those the requirements imply.
    #[serde(default)]
    pub models: Vec<PrivacyModel>,
    /// What to minimize; ARX's Loss by default.
    #[serde(default)]
    pub metric: Metric,
    /// The gate.
    #[serde(default)]
    pub requirements: Requirements,
    /// Columns left out of the output.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Columns written as they are. Every column must be a quasi-identifier, the sensitive
    /// column, kept or dropped: a column nobody decided on could be a direct identifier.
    #[serde(default)]
    pub keep: Vec<String>,
}

/// One quasi-identifier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuasiIdentifier {
    /// The column.
    pub column: String,
    /// How its values generalize.
    pub hierarchy: HierarchySpec,
}

/// Where a hierarchy comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HierarchySpec {
    /// A builder without parameters: `"dates"` or `"region_codes"`.
    Named(String),
    /// A builder with parameters or a file.
    Built(HierarchyBuilder),
}

/// Builders with parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HierarchyBuilder {
    /// An ARX hierarchy CSV, relative to the policy file.
    File(PathBuf),
    /// Numeric intervals of these widths.
    Intervals(Vec<f64>),
    /// Masking from the right keeping these lengths (empty: one character per level).
    Masking(Vec<usize>),
    /// Explicit groups, one table per level.
    Groups(Vec<HashMap<String, Vec<String>>>),
}

/// Requirements a release must meet; each becomes a model of the search and a line of the report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// Smallest class size.
    pub k: Option<u64>,
    /// Distinct sensitive values per class.
    pub l: Option<u64>,
    /// Largest distance of a class's sensitive distribution from the table's (equal distance).
    pub t: Option<f64>,
    /// Highest prosecutor re-identification risk, 0 to 1.
    pub max_prosecutor_risk: Option<f64>,
    /// Largest share of records suppressed, 0 to 1 (0 when absent).
    pub max_suppressed: Option<f64>,
}

impl Requirements {
    /// The smallest class size that keeps the highest prosecutor risk (1 / size) within the limit.
    pub fn k_for_risk(&self) -> Option<u64> {
        // 1/k ≤ r ⇔ k ≥ 1/r; a small tolerance keeps r = 0.1 at k = 10, not 11.
        self.max_prosecutor_risk
            .filter(|r| *r > 0.0)
            .map(|r| (1.0 / r - 1e-9).ceil().max(1.0) as u64)
    }
}

/// A problem in the policy, with the file named.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct PolicyError {
    /// The policy file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl AnonymizePolicy {
    /// Reads the `[anonymize]` table of the policy at `path`.
    pub fn load(path: &Path) -> Result<AnonymizePolicy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        AnonymizePolicy::parse(&text, &path.display().to_string())
    }

    /// Reads the `[anonymize]` table of a policy's text; `label` names it in errors.
    pub fn parse(text: &str, label: &str) -> Result<AnonymizePolicy, PolicyError> {
        let err = |message: String| PolicyError {
            file: label.to_string(),
            message,
        };
        let file: PolicyFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let policy = file
            .anonymize
            .ok_or_else(|| err("no [anonymize] table".into()))?;
        policy.validate().map_err(err)?;
        Ok(policy)
    }

    fn validate(&self) -> Result<(), String> {
        if self.quasi_identifiers.is_empty() {
            return Err("[anonymize] needs at least one quasi-identifier".into());
        }
        let r = &self.requirements;
        if let Some(s) = r.max_suppressed
            && !(0.0..=1.0).contains(&s)
        {
            return Err(format!("max_suppressed = {s}: must be between 0 and 1"));
        }
        if let Some(p) = r.max_prosecutor_risk
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(format!(
                "max_prosecutor_risk = {p}: must be above 0 and at most 1"
            ));
        }
        if (r.l.is_some() || r.t.is_some()) && self.sensitive.is_none() {
            return Err("requirements l and t need `sensitive = \"column\"`".into());
        }
        if let Some(s) = &self.sensitive
            && self.quasi_identifiers.iter().any(|q| &q.column == s)
        {
            return Err(format!(
                "{s:?} cannot be both sensitive and a quasi-identifier"
            ));
        }
        Ok(())
    }

    /// Columns of `columns` that the policy gives no role, and roles given to absent columns.
    pub fn unaccounted(&self, columns: &[String]) -> (Vec<String>, Vec<String>) {
        let mut named: Vec<&String> = self.quasi_identifiers.iter().map(|q| &q.column).collect();
        named.extend(self.sensitive.iter());
        named.extend(self.keep.iter());
        named.extend(self.drop.iter());
        let without_role = columns
            .iter()
            .filter(|c| !named.contains(c))
            .cloned()
            .collect();
        let absent = named
            .into_iter()
            .filter(|n| !columns.contains(n))
            .cloned()
            .collect();
        (without_role, absent)
    }

    /// The search configuration: the explicit models plus those the requirements imply.
    pub fn search_config(&self) -> SearchConfig {
        let r = &self.requirements;
        let mut models = self.models.clone();
        let k = [r.k, r.k_for_risk()].into_iter().flatten().max();
        if let Some(k) = k {
            models.push(PrivacyModel::KAnonymity { k });
        }
        if let (Some(l), Some(s)) = (r.l, &self.sensitive) {
            models.push(PrivacyModel::DistinctLDiversity {
                attribute: s.clone(),
                l,
            });
        }
        if let (Some(t), Some(s)) = (r.t, &self.sensitive) {
            models.push(PrivacyModel::TCloseness {
                attribute: s.clone(),
                t,
                distance: GroundDistance::Equal,
                hierarchy: None,
            });
        }
        SearchConfig {
            models,
            suppression_limit: r.max_suppressed.unwrap_or(0.0),
            metric: self.metric,
            practical_monotonicity: false,
        }
    }
}

impl HierarchySpec {
    /// Builds the hierarchy for a column holding `values`; files resolve against `base`.
    pub fn build<'a>(
        &self,
        base: &Path,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<Hierarchy, String> {
        match self {
            HierarchySpec::Named(name) => match name.as_str() {
                "dates" => build::dates(values).map_err(|e| e.message),
                "region_codes" => build::region_codes(values).map_err(|e| e.message),
                "masking" => build::masking(values, &[]).map_err(|e| e.message),
                other => Err(format!(
                    "unknown hierarchy {other:?}: use \"dates\", \"region_codes\", \"masking\" or a table such as {{ intervals = [5, 10] }}"
                )),
            },
            HierarchySpec::Built(b) => match b {
                HierarchyBuilder::File(file) => {
                    let path = base.join(file);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    Hierarchy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
                }
                HierarchyBuilder::Intervals(w) => {
                    build::intervals(values, w).map_err(|e| e.message)
                }
                HierarchyBuilder::Masking(keep) => {
                    build::masking(values, keep).map_err(|e| e.message)
                }
                HierarchyBuilder::Groups(levels) => {
                    build::groupings(values, levels).map_err(|e| e.message)
                }
            },
        }
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            HierarchySpec::Named(n) => n.clone(),
            HierarchySpec::Built(HierarchyBuilder::File(f)) => format!("file {}", f.display()),
            HierarchySpec::Built(HierarchyBuilder::Intervals(w)) => format!("intervals {w:?}"),
            HierarchySpec::Built(HierarchyBuilder::Masking(k)) => format!("masking {k:?}"),
            HierarchySpec::Built(HierarchyBuilder::Groups(g)) if g.is_empty() => {
                "value -> *".into()
            }
            HierarchySpec::Built(HierarchyBuilder::Groups(g)) => {
                format!(
                    "groups, {} level{} then *",
                    g.len(),
                    if g.len() == 1 { "" } else { "s" }
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_hierarchy_without_groups_reads_as_value_to_star() {
        let spec = HierarchySpec::Built(HierarchyBuilder::Groups(Vec::new()));
        assert_eq!(spec.describe(), "value -> *");
    }

    fn parse(text: &str) -> Result<AnonymizePolicy, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let p = file.anonymize.ok_or("none")?;
        p.validate()?;
        Ok(p)
    }

    #[test]
    fn requirements_become_models() {
        let p = parse(
            r#"
            [anonymize]
            sensitive = "diagnosis"
            [[anonymize.quasi_identifiers]]
            column = "age"
            hierarchy = { intervals = [5, 10] }
            [[anonymize.quasi_identifiers]]
            column = "birth_date"
            hierarchy = "dates"
            [anonymize.requirements]
            k = 5
            l = 3
            max_prosecutor_risk = 0.1
            max_suppressed = 0.02
            "#,
        )
        .expect("valid");
        let c = p.search_config();
        // The risk limit asks more than k = 5: classes of at least 10.
        assert!(c.models.contains(&PrivacyModel::KAnonymity { k: 10 }));
        assert!(
            c.models
                .iter()
                .any(|m| matches!(m, PrivacyModel::DistinctLDiversity { l: 3, .. }))
        );
        assert_eq!(c.suppression_limit, 0.02);
        assert_eq!(c.metric, Metric::Loss { gs_factor: 0.5 });
    }

    #[test]
    fn mistakes_are_refused() {
        let base = "[[anonymize.quasi_identifiers]]\ncolumn = \"age\"\nhierarchy = \"dates\"\n";
        assert!(parse(&format!("[anonymize]\n{base}")).is_ok());
        let typo = format!("[anonymize]\nsupression = 1\n{base}");
        assert!(parse(&typo).is_err(), "unknown key");
        let l_without_sensitive = format!("[anonymize]\n{base}[anonymize.requirements]\nl = 2\n");
        assert!(
            parse(&l_without_sensitive)
                .unwrap_err()
                .contains("sensitive")
        );
        let bad_limit =
            format!("[anonymize]\n{base}[anonymize.requirements]\nmax_suppressed = 2\n");
        assert!(parse(&bad_limit).unwrap_err().contains("between 0 and 1"));
    }

    #[test]
    fn unknown_builders_are_named() {
        let spec = HierarchySpec::Named("weeks".into());
        let e = spec.build(Path::new("."), ["1"]).expect_err("unknown");
        assert!(e.contains("weeks"));
    }
}
