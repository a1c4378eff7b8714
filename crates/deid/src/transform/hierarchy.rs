//! Generalization hierarchies in ARX's CSV format: one row per value, `;`-separated, column `i`
//! the value's generalization at level `i` (column 0 is the value itself, the last usually `*`).

use std::collections::HashMap;

/// A problem in a hierarchy file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct HierarchyError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed hierarchy: every value with its generalizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    rows: HashMap<String, Vec<String>>,
    levels: usize,
}

impl Hierarchy {
    /// Parses ARX's format. Every row must have the same number of columns and a value may appear
    /// once: a hierarchy that generalizes one value two ways cannot be applied consistently.
    pub fn parse(text: &str) -> Result<Hierarchy, HierarchyError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = HashMap::new();
        let mut width = None;
        for record in reader.records() {
            let record = record.map_err(|e| HierarchyError {
                line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                message: e.to_string(),
            })?;
            let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let fields: Vec<String> = record.iter().map(str::to_string).collect();
            let w = *width.get_or_insert(fields.len());
            if fields.len() != w {
                return Err(HierarchyError {
                    line,
                    message: format!("{} columns where the first row has {w}", fields.len()),
                });
            }
            if w < 2 {
                return Err(HierarchyError {
                    line,
                    message: "a row needs the value and at least one level".into(),
                });
            }
            let value = fields[0].clone();
            if rows.insert(value.clone(), fields[1..].to_vec()).is_some() {
                return Err(HierarchyError {
                    line,
                    message: format!("value {value:?} appears twice"),
                });
            }
        }
        let levels = width.map_or(0, |w| w - 1);
        if rows.is_empty() {
            return Err(HierarchyError {
                line: 1,
                message: "the hierarchy has no rows".into(),
            });
        }
        Ok(Hierarchy { rows, levels })
    }

    /// Number of generalization levels above the values.
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// The generalization of `value` at `level` (1-based), if the value is in the hierarchy.
    pub fn get(&self, value: &str, level: usize) -> Option<&str> {
        let row = self.rows.get(value)?;
        row.get(level.checked_sub(1)?).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arx_rows_give_levels() {
        let h = Hierarchy::parse("1;0-4;0-9;*\n2;0-4;0-9;*\n17;15-19;10-19;*\n").expect("valid");
        assert_eq!(h.levels(), 3);
        assert_eq!(h.get("17", 1), Some("15-19"));
        assert_eq!(h.get("17", 3), Some("*"));
        assert_eq!(h.get("17", 4), None);
        assert_eq!(h.get("18", 1), None);
    }

    #[test]
    fn ragged_and_duplicate_rows_are_refused_with_their_line() {
        let e = Hierarchy::parse("1;a;*\n2;a\n").expect_err("ragged");
        assert_eq!(e.line, 2);
        let e = Hierarchy::parse("1;a;*\n2;a;*\n1;b;*\n").expect_err("duplicate");
        assert_eq!(e.line, 3);
        assert!(Hierarchy::parse("").is_err());
    }

    #[test]
    fn shipped_arx_hierarchies_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/arx");
        if !dir.exists() {
            assert!(
                std::env::var("CI").is_err(),
                "../shared/data/arx is missing under CI"
            );
            eprintln!("skipped: {} is missing", dir.display());
            return;
        }
        let text = std::fs::read_to_string(dir.join("adult_hierarchy_age.csv")).expect("readable");
        let h = Hierarchy::parse(&text).expect("ARX's own file parses");
        assert_eq!(h.get("17", h.levels()), Some("*"));
    }
}
