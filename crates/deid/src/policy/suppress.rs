//! `[[suppress_rows]]`: rows left out of the output, each rule a condition on one column.
//!
//! Conditions are a small fixed set rather than SQL so that `policy check` can validate them
//! without a query engine and an officer can read them without knowing SQL.

use toml::{Table, Value};

use crate::transform::Invalid;

/// When a row is suppressed.
#[derive(Debug, Clone, PartialEq)]
pub enum RowCondition {
    /// The value is one of these (exact match).
    Equals(Vec<String>),
    /// The value contains one of these substrings.
    Contains(Vec<String>),
    /// The value is a number below this.
    Below(f64),
    /// The value is a number above this.
    Above(f64),
    /// The value is missing (null or empty).
    IsNull,
}

/// One `[[suppress_rows]]` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressRule {
    /// The column the condition reads.
    pub column: String,
    /// The condition.
    pub when: RowCondition,
    /// Line of the rule in the policy file.
    pub line: usize,
}

fn strings(key: &str, v: &Value) -> Result<Vec<String>, String> {
    let list = match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{key} must be a list of strings"))?,
        _ => {
            return Err(format!(
                "{key} must be a string or a list of strings, not {v}"
            ));
        }
    };
    if list.is_empty() {
        return Err(format!("{key} is an empty list: it would suppress nothing"));
    }
    Ok(list)
}

fn number(key: &str, v: &Value) -> Result<f64, String> {
    match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Float(f) if f.is_finite() => Ok(*f),
        _ => Err(format!("{key} must be a number, not {v}")),
    }
}

impl SuppressRule {
    /// Reads a rule: `column = "..."` and exactly one of `equals`, `contains`, `below`, `above`,
    /// `is_null = true`.
    pub(crate) fn from_table(table: &Table, line: usize) -> Result<SuppressRule, String> {
        let column = match table.get("column") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => return Err(format!("column must be a string, not {v}")),
            None => return Err("no column: name the column the condition reads".into()),
        };
        let mut conditions = Vec::new();
        for (key, v) in table {
            let when = match key.as_str() {
                "column" => continue,
                "equals" => RowCondition::Equals(strings(key, v)?),
                "contains" => RowCondition::Contains(strings(key, v)?),
                "below" => RowCondition::Below(number(key, v)?),
                "above" => RowCondition::Above(number(key, v)?),
                "is_null" => match v {
                    Value::Boolean(true) => RowCondition::IsNull,
                    _ => return Err("is_null takes only true".into()),
                },
                other => {
                    return Err(format!(
                        "unknown key {other:?} (one of column, equals, contains, below, above, is_null)"
                    ));
                }
            };
            conditions.push(when);
        }
        match conditions.len() {
            1 => Ok(SuppressRule {
                column,
                when: conditions.remove(0),
                line,
            }),
            0 => Err("no condition: add one of equals, contains, below, above, is_null".into()),
            _ => Err("one condition per rule; write several [[suppress_rows]] for several".into()),
        }
    }

    /// True when a value (None: null) meets the condition. A non-empty value that is not a
    /// number cannot be compared with `below`/`above`: it is invalid, and the policy's
    /// `on_invalid` decides, because letting it through could keep a row the rule meant to drop.
    pub fn matches(&self, value: Option<&str>) -> Result<bool, Invalid> {
        let number = |v: &str| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or(Invalid("not a number, so suppress_rows cannot compare it"))
        };
        Ok(match (&self.when, value) {
            (RowCondition::IsNull, v) => v.is_none_or(|s| s.trim().is_empty()),
            (_, None) => false,
            (RowCondition::Equals(list), Some(v)) => list.iter().any(|x| x == v),
            (RowCondition::Contains(list), Some(v)) => list.iter().any(|x| v.contains(x.as_str())),
            (RowCondition::Below(_) | RowCondition::Above(_), Some(v)) if v.trim().is_empty() => {
                false
            }
            (RowCondition::Below(n), Some(v)) => number(v)? < *n,
            (RowCondition::Above(n), Some(v)) => number(v)? > *n,
        })
    }
}
