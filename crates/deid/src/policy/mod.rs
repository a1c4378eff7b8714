//! De-identification policies: what happens to every column of a table, as a TOML file a data
//! officer writes once, reviews, and re-runs on every new version of the data.
//!
//! Parsing is strict and default-deny: an unknown operator or parameter is an error, and so is a
//! table column the policy does not mention (a forgotten column would otherwise leave in the clear).
//! Every error names the policy's line.

mod operator;
mod suggest;
mod suppress;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use operator::{
    DateUnit, FpeFormat, FpeRegions, FpeSpec, Generalization, NoiseDistribution, Operator,
    PlaceLevel, PseudonymFormat, RedactReplace,
};
pub use suggest::{DEFAULT_KEY_ENV, suggest_policy};
pub use suppress::{RowCondition, SuppressRule};

/// A problem in a policy, at a line of its file (1-based; 0 when no line applies).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyError {
    /// 1-based line in the policy file.
    pub line: usize,
    /// What is wrong, naming the column or setting.
    pub message: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What to do with a value its operator cannot parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnInvalid {
    /// Stop the run (the default: nothing is written).
    #[default]
    Fail,
    /// Write null in place of the value.
    Null,
    /// Leave the whole row out.
    SuppressRow,
}

/// Where the key of keyed operators comes from; never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable holding the key (hex or base64).
    Env(String),
    /// A file holding the key, as `pubdata key new` writes it.
    File(String),
}

/// Dataset-level settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSettings {
    /// Where the key is, if the policy uses keyed operators.
    pub key: Option<KeySource>,
    /// What happens to values that fail to parse.
    pub on_invalid: OnInvalid,
}

/// The rule for one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRule {
    /// Column name as in the table.
    pub name: String,
    /// What to do with it.
    pub operator: Operator,
    /// Line of the rule's table header in the policy file.
    pub line: usize,
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Format version (1).
    pub version: u32,
    /// Dataset-level settings.
    pub dataset: DatasetSettings,
    /// One rule per column, in file order.
    pub columns: Vec<ColumnRule>,
    /// Rows to leave out of the output (`[[suppress_rows]]`), in file order.
    pub suppress_rows: Vec<SuppressRule>,
    /// The privacy requirements (`[privacy]`), kept for the formal anonymization step.
    pub privacy: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: u32,
    #[serde(default)]
    dataset: Option<toml::Spanned<RawDataset>>,
    #[serde(default)]
    columns: BTreeMap<String, toml::Spanned<toml::Table>>,
    #[serde(default)]
    suppress_rows: Vec<toml::Spanned<toml::Table>>,
    #[serde(default)]
    privacy: Option<toml::Table>,
    #[serde(default)]
    hierarchies: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    key_env: Option<String>,
    key_file: Option<String>,
    #[serde(default)]
    on_invalid: OnInvalid,
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Policy {
    /// Parses a policy, returning every problem found (not just the first).
    pub fn parse(text: &str) -> Result<Policy, Vec<PolicyError>> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            vec![PolicyError {
                line,
                message: e.message().trim().to_string(),
            }]
        })?;
        let mut errors = Vec::new();
        if raw.version != 1 {
            errors.push(PolicyError {
                line: 1,
                message: format!(
                    "version {} is not supported (this pubdata reads version 1)",
                    raw.version
                ),
            });
        }
        let (key, on_invalid, dataset_line) = match raw.dataset {
            Some(d) => {
                let line = line_of(text, d.span().start);
                let d = d.into_inner();
                let key = match (d.key_env, d.key_file) {
                    (Some(_), Some(_)) => {
                        errors.push(PolicyError {
                            line,
                            message: "[dataset] names both key_env and key_file; name one".into(),
                        });
                        None
                    }
                    (Some(v), None) => Some(KeySource::Env(v)),
                    (None, Some(f)) => Some(KeySource::File(f)),
                    (None, None) => None,
                };
                (key, d.on_invalid, line)
            }
            None => (None, OnInvalid::Fail, 1),
        };
        let mut columns = Vec::new();
        for (name, table) in raw.columns {
            let line = line_of(text, table.span().start);
            match Operator::from_table(table.get_ref()) {
                Ok(operator) => columns.push(ColumnRule {
                    name,
                    operator,
                    line,
                }),
                Err(message) => errors.push(PolicyError {
                    line,
                    message: format!("column {name:?}: {message}"),
                }),
            }
        }
        columns.sort_by_key(|c| c.line);
        let mut suppress_rows = Vec::new();
        for table in raw.suppress_rows {
            let line = line_of(text, table.span().start);
            match SuppressRule::from_table(table.get_ref(), line) {
                Ok(rule) => suppress_rows.push(rule),
                Err(message) => errors.push(PolicyError {
                    line,
                    message: format!("[[suppress_rows]]: {message}"),
                }),
            }
        }
        if key.is_none()
            && let Some(c) = columns.iter().find(|c| c.operator.is_keyed())
        {
            errors.push(PolicyError {
                line: dataset_line,
                message: format!("column {:?} uses a keyed operator ({}) but [dataset] names no key_env or key_file", c.name, c.operator.name()),
            });
        }
        let _ = raw.hierarchies;
        if errors.is_empty() {
            Ok(Policy {
                version: raw.version,
                dataset: DatasetSettings { key, on_invalid },
                columns,
                suppress_rows,
                privacy: raw.privacy,
            })
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// Checks the policy against the columns of a table: every column has exactly one rule, every
    /// rule names a column, and columns the rules refer to exist.
    pub fn check_columns(&self, table_columns: &[String]) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        for rule in &self.columns {
            if !table_columns.contains(&rule.name) {
                errors.push(PolicyError {
                    line: rule.line,
                    message: format!(
                        "column {:?} is not in the table (its columns: {})",
                        rule.name,
                        table_columns.join(", ")
                    ),
                });
            }
            for other in rule.operator.referenced_columns() {
                if !table_columns.iter().any(|c| c == other) {
                    errors.push(PolicyError {
                        line: rule.line,
                        message: format!(
                            "column {:?}: {} refers to column {other:?}, which is not in the table",
                            rule.name,
                            rule.operator.name()
                        ),
                    });
                }
            }
        }
        for rule in &self.suppress_rows {
            if !table_columns.contains(&rule.column) {
                errors.push(PolicyError {
                    line: rule.line,
                    message: format!(
                        "[[suppress_rows]] names column {:?}, which is not in the table",
                        rule.column
                    ),
                });
            }
        }
        for col in table_columns {
            if !self.columns.iter().any(|r| &r.name == col) {
                errors.push(PolicyError {
                    line: 0,
                    message: format!("table column {col:?} has no rule: add [columns.{col:?}] with op = \"keep\" or \"drop\" (nothing passes through unstated)"),
                });
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests;
