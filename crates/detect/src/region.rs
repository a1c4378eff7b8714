//! GB/T 2260 county-level code tables: the one a user supplies (`--regions FILE`), used to tell
//! whether the region code of a resident ID is still current, and the built-in one `encrypt_fpe`
//! keeps encrypted region codes within (`data/gbt2260-2023.txt`, whose comments give its source,
//! date and licence).

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

/// The built-in table: `#` comment lines, then one 6-digit code a line.
const GBT2260_2023: &str = include_str!("../data/gbt2260-2023.txt");

/// A set of current 6-digit region codes, loaded from a CSV in the form of `areas.csv`
/// (header `code,name,cityCode,provinceCode`, names quoted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionTable {
    /// Sorted and deduplicated, so lookups are a binary search with no hashing.
    codes: Vec<u32>,
}

/// Why a region table could not be loaded; names the source and, for bad rows, the line.
#[derive(Debug)]
pub struct RegionError {
    source_name: String,
    line: Option<usize>,
    kind: RegionErrorKind,
}

#[derive(Debug)]
enum RegionErrorKind {
    Io(std::io::Error),
    Empty,
    Header(String),
    Row(String),
}

impl RegionError {
    /// The 1-based line of the offending row, when the error is about a row.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RegionErrorKind::Io(e) => {
                write!(f, "cannot read region table {}: {e}", self.source_name)
            }
            RegionErrorKind::Empty => write!(f, "region table {} is empty", self.source_name),
            RegionErrorKind::Header(msg) | RegionErrorKind::Row(msg) => match self.line {
                Some(line) => write!(f, "region table {}, line {line}: {msg}", self.source_name),
                None => write!(f, "region table {}: {msg}", self.source_name),
            },
        }
    }
}

impl std::error::Error for RegionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            RegionErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl RegionTable {
    /// Loads a table from a CSV file; errors name the file and line.
    pub fn from_csv_path(path: &Path) -> Result<RegionTable, RegionError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RegionError {
            source_name: name.clone(),
            line: None,
            kind: RegionErrorKind::Io(e),
        })?;
        Self::parse(&text, &name)
    }

    /// Parses a table from CSV text (errors call the source `<string>`).
    pub fn from_csv_str(s: &str) -> Result<RegionTable, RegionError> {
        Self::parse(s, "<string>")
    }

    /// The built-in table of county-level codes as of 2023-06-30 (see `data/gbt2260-2023.txt`),
    /// parsed on first use.
    pub fn gbt2260_2023() -> &'static RegionTable {
        static TABLE: OnceLock<RegionTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The text is compiled in and a test parses it, so a failure here is a build defect.
            Self::parse_code_lines(GBT2260_2023, "data/gbt2260-2023.txt")
                .unwrap_or_else(|e| panic!("the built-in region table is malformed: {e}"))
        })
    }

    /// The sorted codes of one province (those whose first two digits are `province`), a
    /// contiguous run of the table.
    pub fn province(&self, province: u32) -> &[u32] {
        let (first, end) = (province * 10_000, (province + 1) * 10_000);
        let start = self.codes.partition_point(|&c| c < first);
        let stop = self.codes.partition_point(|&c| c < end);
        &self.codes[start..stop]
    }

    /// True when the 6-digit code is in the table.
    pub fn contains(&self, code6: u32) -> bool {
        self.codes.binary_search(&code6).is_ok()
    }

    /// Number of distinct codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when the table holds no codes.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Reads one 6-digit code a line, skipping blank lines and `#` comments.
    fn parse_code_lines(text: &str, source_name: &str) -> Result<RegionTable, RegionError> {
        let mut codes = Vec::with_capacity(4096);
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match (line.len(), crate::checks::digits_value(line.as_bytes())) {
                (6, Some(v)) => codes.push(v),
                _ => {
                    return Err(RegionError {
                        source_name: source_name.to_string(),
                        line: Some(i + 1),
                        kind: RegionErrorKind::Row(format!(
                            "`{line}` is not a 6-digit region code"
                        )),
                    });
                }
            }
        }
        if codes.is_empty() {
            return Err(RegionError {
                source_name: source_name.to_string(),
                line: None,
                kind: RegionErrorKind::Empty,
            });
        }
        codes.sort_unstable();
        codes.dedup();
        Ok(RegionTable { codes })
    }

    fn parse(text: &str, source_name: &str) -> Result<RegionTable, RegionError> {
        let err = |line: usize, kind: RegionErrorKind| RegionError {
            source_name: source_name.to_string(),
            line: Some(line),
            kind,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        let Some((_, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
            return Err(RegionError {
                source_name: source_name.to_string(),
                line: None,
                kind: RegionErrorKind::Empty,
            });
        };
        let header = header.trim_start_matches('\u{feff}');
        let first = split_fields(header)
            .next()
            .map(|f| f.trim().trim_matches('"'));
        if first != Some("code") {
            return Err(err(
                1,
                RegionErrorKind::Header(format!(
                    "expected header `code,name,cityCode,provinceCode`, found `{header}`"
                )),
            ));
        }
        let mut codes = Vec::with_capacity(4096);
        for (line_no, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = split_fields(line).collect();
            if fields.len() < 2 {
                return Err(err(
                    line_no,
                    RegionErrorKind::Row(format!("expected at least `code,name`, found `{line}`")),
                ));
            }
            let code = fields[0].trim().trim_matches('"');
            match (code.len(), crate::checks::digits_value(code.as_bytes())) {
                (6, Some(v)) => codes.push(v),
                _ => {
                    return Err(err(
                        line_no,
                        RegionErrorKind::Row(format!("`{code}` is not a 6-digit region code")),
                    ));
                }
            }
        }
        codes.sort_unstable();
        codes.dedup();
        Ok(RegionTable { codes })
    }
}

/// Splits one CSV line on commas outside double quotes (names never contain newlines).
fn split_fields(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "code,name,cityCode,provinceCode\n110101,\"东城区\",1101,11\n\
        330106,\"西湖区, 杭州\",3301,33\r\n\n330102,\"上城区\",3301,33\n";

    #[test]
    fn inline_table_loads() {
        let t = RegionTable::from_csv_str(SMALL).expect("valid table");
        assert_eq!(t.len(), 3);
        assert!(t.contains(330106));
        assert!(t.contains(110101));
        assert!(!t.contains(330100));
    }

    #[test]
    fn malformed_row_names_its_line() {
        let bad = "code,name,cityCode,provinceCode\n110101,\"东城区\",1101,11\n11x102,\"西城区\",1101,11\n";
        let e = RegionTable::from_csv_str(bad).expect_err("bad code");
        assert_eq!(e.line(), Some(3));
        let msg = e.to_string();
        assert!(msg.contains("line 3") && msg.contains("11x102"), "{msg}");
    }

    #[test]
    fn wrong_header_and_empty_input_are_errors() {
        assert!(RegionTable::from_csv_str("").is_err());
        assert!(RegionTable::from_csv_str("id,name\n110101,x\n").is_err());
    }

    #[test]
    fn missing_file_names_the_file() {
        let e =
            RegionTable::from_csv_path(Path::new("/nonexistent/areas.csv")).expect_err("missing");
        assert!(e.to_string().contains("/nonexistent/areas.csv"));
    }

    #[test]
    fn the_built_in_table_is_the_2023_county_list() {
        let t = RegionTable::gbt2260_2023();
        assert_eq!(t.len(), 2978);
        assert!(t.contains(330106) && t.contains(540481) && t.contains(659012));
        // Retired before 2023: 330103 (下城区, merged 2021) and 540422 (米林县, now 米林市).
        assert!(!t.contains(330103) && !t.contains(540422));
        let beijing = t.province(11);
        assert_eq!(beijing.len(), 16);
        assert_eq!((beijing[0], beijing[15]), (110101, 110119));
        assert_eq!(t.province(33).len(), 90);
        assert!(t.province(33).iter().all(|c| c / 10_000 == 33));
        assert!(t.province(71).is_empty() && t.province(99).is_empty());
        let total: usize = (0..100).map(|p| t.province(p).len()).sum();
        assert_eq!(total, t.len());
    }

    #[test]
    fn code_lists_skip_comments_and_name_a_bad_line() {
        let t = RegionTable::parse_code_lines("# c\n\n330106\n110101\n330106\n", "x").expect("ok");
        assert_eq!(t.codes, [110101, 330106]);
        let e = RegionTable::parse_code_lines("# c\n3301\n", "x").expect_err("short code");
        assert_eq!(e.line(), Some(2));
        assert!(RegionTable::parse_code_lines("# only comments\n", "x").is_err());
    }

    #[test]
    fn shared_areas_csv_loads() {
        let path = Path::new("../../../shared/data/regions/areas.csv");
        if !path.exists() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{} missing on CI",
                path.display()
            );
            eprintln!("skipping: {} not found", path.display());
            return;
        }
        let t = RegionTable::from_csv_path(path).expect("shared table loads");
        assert_eq!(t.len(), 2978);
        assert!(t.contains(330106));
        assert!(t.contains(110105));
        // 330103 (下城区) was merged away in 2021: a retired code old IDs still carry.
        assert!(!t.contains(330103));
        // The same file the built-in table was cut from.
        assert_eq!(&t, RegionTable::gbt2260_2023());
    }
}
