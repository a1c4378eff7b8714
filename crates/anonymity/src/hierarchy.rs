//! Generalization hierarchies in ARX's CSV format: one row per value, `;`-separated, column `i`
//! the value's generalization at level `i` (column 0 is the value itself, the last usually `*`).

use std::collections::HashMap;

pub mod build;

/// A problem in a hierarchy file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct HierarchyError {
    /// 1-based line (0 when the problem is not one line's).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed hierarchy: every value with its generalizations, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Each row: the value, then one entry per level.
    rows: Vec<Vec<String>>,
    index: HashMap<String, usize>,
}

impl Hierarchy {
    /// Parses ARX's format. Every row must have the same number of columns, a value may appear
    /// once, and the levels must nest (see [`Hierarchy::from_rows`]).
    pub fn parse(text: &str) -> Result<Hierarchy, HierarchyError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| HierarchyError {
                line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                message: e.to_string(),
            })?;
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            lines.push(record.position().map(|p| p.line() as usize).unwrap_or(0));
            rows.push(record.iter().map(str::to_string).collect());
        }
        Self::build(rows, |i| lines.get(i).copied().unwrap_or(0))
    }

    /// Builds a hierarchy from rows (value first, then one entry per level). The same checks as
    /// [`Hierarchy::parse`]; errors name the row by its 1-based position.
    pub fn from_rows(rows: Vec<Vec<String>>) -> Result<Hierarchy, HierarchyError> {
        Self::build(rows, |i| i + 1)
    }

    fn build(
        rows: Vec<Vec<String>>,
        line_of: impl Fn(usize) -> usize,
    ) -> Result<Hierarchy, HierarchyError> {
        let Some(first) = rows.first() else {
            return Err(HierarchyError {
                line: 1,
                message: "the hierarchy has no rows".into(),
            });
        };
        let width = first.len();
        let mut index = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if row.len() != width {
                return Err(HierarchyError {
                    line: line_of(i),
                    message: format!("{} columns where the first row has {width}", row.len()),
                });
            }
            if index.insert(row[0].clone(), i).is_some() {
                return Err(HierarchyError {
                    line: line_of(i),
                    message: format!("value {:?} appears twice", row[0]),
                });
            }
        }
        let h = Hierarchy { rows, index };
        let bad = h.inconsistent_values();
        if !bad.is_empty() {
            return Err(HierarchyError {
                line: 0,
                message: format!(
                    "levels do not nest: {} generalize(s) two ways at the next level",
                    list_values(&bad)
                ),
            });
        }
        Ok(h)
    }

    /// Values at some level that map to two different values at the next level, as
    /// `level L "value"`. Full-domain generalization needs each level to be a function of the
    /// one below; otherwise one group would be split at a coarser level.
    fn inconsistent_values(&self) -> Vec<String> {
        let mut bad = Vec::new();
        for level in 1..self.height().saturating_sub(1) {
            let mut up: HashMap<&str, &str> = HashMap::new();
            for row in &self.rows {
                let (here, next) = (row[level].as_str(), row[level + 1].as_str());
                if let Some(prev) = up.insert(here, next)
                    && prev != next
                {
                    bad.push(format!("level {level} {here:?}"));
                }
            }
        }
        bad.sort();
        bad.dedup();
        bad
    }

    /// Number of generalization levels above the values.
    pub fn levels(&self) -> usize {
        self.height() - 1
    }

    /// Number of levels including level 0, the values themselves.
    pub fn height(&self) -> usize {
        self.rows.first().map_or(1, Vec::len)
    }

    /// The generalization of `value` at `level` (1-based), if the value is in the hierarchy.
    pub fn get(&self, value: &str, level: usize) -> Option<&str> {
        let row = &self.rows[*self.index.get(value)?];
        if level == 0 {
            return None;
        }
        row.get(level).map(String::as_str)
    }

    /// Whether `value` is one of the hierarchy's values (level 0).
    pub fn contains(&self, value: &str) -> bool {
        self.index.contains_key(value)
    }

    /// Position of `value` among the rows, in file order.
    pub fn position(&self, value: &str) -> Option<usize> {
        self.index.get(value).copied()
    }

    /// The rows in file order: the value, then its generalizations.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Of `values`, those the hierarchy lacks, sorted and without repeats.
    pub fn missing<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = values
            .into_iter()
            .filter(|v| !self.contains(v))
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// At most ten values, quoted, with the count of the rest: an error message stays readable.
pub fn list_values(values: &[String]) -> String {
    let shown: Vec<String> = values.iter().take(10).cloned().collect();
    let mut s = shown.join(", ");
    if values.len() > 10 {
        s.push_str(&format!(" and {} more", values.len() - 10));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arx_rows_give_levels() {
        let h = Hierarchy::parse("1;0-4;0-9;*\n2;0-4;0-9;*\n17;15-19;10-19;*\n").expect("valid");
        assert_eq!(h.levels(), 3);
        assert_eq!(h.height(), 4);
        assert_eq!(h.get("17", 1), Some("15-19"));
        assert_eq!(h.get("17", 3), Some("*"));
        assert_eq!(h.get("17", 4), None);
        assert_eq!(h.get("18", 1), None);
        assert_eq!(h.position("17"), Some(2));
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
    fn levels_that_do_not_nest_are_refused_naming_the_values() {
        // "a" goes to "x" for value 1 and to "y" for value 2.
        let e = Hierarchy::parse("1;a;x;*\n2;a;y;*\n3;b;y;*\n").expect_err("inconsistent");
        assert!(e.message.contains(r#"level 1 "a""#), "{e}");
        assert!(!e.message.contains(r#""b""#), "{e}");
    }

    #[test]
    fn missing_values_are_listed_once_and_sorted() {
        let h = Hierarchy::parse("1;*\n2;*\n").expect("valid");
        assert_eq!(h.missing(["3", "1", "0", "3"]), vec!["0", "3"]);
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
        for entry in std::fs::read_dir(&dir).expect("listable") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.contains("_hierarchy_") {
                let text = std::fs::read_to_string(&path).expect("readable");
                let h = Hierarchy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                let any = &h.rows()[0][0];
                assert_eq!(h.get(any, h.levels()), Some("*"), "{name}");
            }
        }
    }
}
