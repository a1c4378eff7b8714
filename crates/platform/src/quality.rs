//! Checking an upload against its catalog entry's data items, one row at a time, and the quality
//! report the holder and the authority read: rows read, rows rejected and why, null rates and
//! duplicate keys.
//!
//! Rows arrive as text cells in item order (the readers turn CSV, XLSX, JSON Lines and Parquet
//! into that), so the checker streams and keeps only counters, a few examples and the key digests.

use std::collections::{BTreeMap, HashSet};

use pubdata_detect::Detector;
use pubdata_detect::checks::is_valid_date;
use serde::{Deserialize, Serialize};

use crate::catalog::{DataItem, DataType};

/// Rejected rows kept as examples in the report.
const EXAMPLES: usize = 100;

/// Why a cell makes its row unacceptable.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A required item is empty.
    Missing,
    /// Not a whole number.
    NotInteger,
    /// Not a decimal number.
    NotDecimal,
    /// Not a calendar date (YYYY-MM-DD).
    NotDate,
    /// Not a date and time (YYYY-MM-DD HH:MM:SS, optionally ISO 8601 with a zone).
    NotTimestamp,
    /// Not true / false.
    NotBoolean,
    /// Fails the check its personal-information class defines (check digit, allocation...).
    InvalidPersonalInfo,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 7] = [
        Reason::Missing,
        Reason::NotInteger,
        Reason::NotDecimal,
        Reason::NotDate,
        Reason::NotTimestamp,
        Reason::NotBoolean,
        Reason::InvalidPersonalInfo,
    ];

    /// The snake_case name the JSON report uses.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::NotInteger => "not_integer",
            Reason::NotDecimal => "not_decimal",
            Reason::NotDate => "not_date",
            Reason::NotTimestamp => "not_timestamp",
            Reason::NotBoolean => "not_boolean",
            Reason::InvalidPersonalInfo => "invalid_personal_info",
        }
    }

    /// What is wrong with the cell, for a person reading a report.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Missing => "a required item is empty",
            Reason::NotInteger => "not a whole number",
            Reason::NotDecimal => "not a number",
            Reason::NotDate => "not a date (YYYY-MM-DD)",
            Reason::NotTimestamp => "not a date and time",
            Reason::NotBoolean => "not true or false",
            Reason::InvalidPersonalInfo => "fails its personal-information check",
        }
    }
}

/// One rejected cell, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rejection {
    /// Data row number, from 1 (the header is not counted).
    pub row: u64,
    /// The data item.
    pub item: String,
    /// Why.
    pub reason: Reason,
}

/// Per data item: how often it is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemQuality {
    /// The data item.
    pub item: String,
    /// Empty cells among the rows read.
    pub nulls: u64,
    /// Share of empty cells.
    pub null_rate: f64,
}

/// The quality report of one upload.
///
/// Stored with its version as JSON and read back typed ([`crate::store::VersionInfo::quality_report`]);
/// a field missing from a stored report (one written before the field existed) reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct QualityReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows that passed every check.
    pub rows_accepted: u64,
    /// Rows with at least one rejected cell.
    pub rows_rejected: u64,
    /// Rejected cells per reason.
    pub rejections: BTreeMap<Reason, u64>,
    /// The first rejected cells, for the holder to find and fix.
    pub examples: Vec<Rejection>,
    /// Null rates per item.
    pub items: Vec<ItemQuality>,
    /// Accepted rows whose key repeats an earlier accepted row's (kept, reported).
    pub duplicate_keys: u64,
    /// Row numbers of the first duplicates.
    pub duplicate_examples: Vec<u64>,
}

/// Items and columns a header mismatch lists; the rest are counted.
const LISTED: usize = 10;

/// Longest header (or item name) a header mismatch shows, in characters.
const SHOWN: usize = 40;

/// The file's columns do not match the entry's data items.
///
/// A file without its header row has data in its first row, so an unknown column is named by
/// its position and, when its header looks like personal information, by that type; its text is
/// shown only when it looks like a name (no personal-information type, few digits) and then cut
/// to 40 characters. At most 10 items and 10 columns are listed, so the message (which goes into
/// the audit log and the answer) stays short whatever the file's width.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("the file does not match the entry's data items: {}", self.describe())]
pub struct HeaderMismatch {
    /// The first items the file lacks, by name.
    pub missing: Vec<String>,
    /// How many items the file lacks in all.
    pub missing_count: usize,
    /// The first columns the entry does not define, described by position (`column 3 looks
    /// like cn_mobile`, `column 4 "remarks"`).
    pub unknown: Vec<String>,
    /// How many columns the entry does not define in all.
    pub unknown_count: usize,
    /// Whether a listed column's header looks like a value rather than a name (the file may
    /// lack its header row).
    pub values_in_header: bool,
}

impl HeaderMismatch {
    fn describe(&self) -> String {
        let list = |shown: &[String], count: usize| {
            let mut text = shown.join(", ");
            if count > shown.len() {
                text.push_str(&format!(" and {} more", count - shown.len()));
            }
            text
        };
        let mut parts = Vec::new();
        if self.missing_count > 0 {
            parts.push(format!(
                "missing {}",
                list(&self.missing, self.missing_count)
            ));
        }
        if self.unknown_count > 0 {
            parts.push(format!(
                "not in the entry: {}",
                list(&self.unknown, self.unknown_count)
            ));
        }
        if self.values_in_header {
            parts.push("some headers look like values: does the file lack its header row?".into());
        }
        parts.join("; ")
    }
}

/// `text` cut to [`SHOWN`] characters, with a mark when cut.
fn clip(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Describes the unknown column at `index` (from 0) without its value; the flag says whether
/// its header looks like a value.
fn describe_column(detector: &Detector, index: usize, header: &str) -> (String, bool) {
    let n = index + 1;
    if let Some(kind) = detector.classify(header) {
        return (format!("column {n} looks like {}", kind.name()), true);
    }
    // Identifiers that fail their checks (a mistyped ID, an account number) are no type, but a
    // column name rarely holds six digits.
    if header.chars().filter(|c| c.is_numeric()).count() >= 6 {
        return (format!("column {n} holds a number (not shown)"), true);
    }
    (format!("column {n} {:?}", clip(header)), false)
}

/// An item's label as a header may spell it, if it has one.
fn label(item: &DataItem) -> Option<&str> {
    Some(item.label.trim()).filter(|l| !l.is_empty())
}

/// A label as headers are compared: full-width brackets as ASCII ones, without white space.
fn folded(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect()
}

/// A folded label without a trailing unit in brackets (`用水量(立方米)` is `用水量`), if it has
/// one and something is left.
fn without_unit(folded: &str) -> Option<&str> {
    let open = folded.strip_suffix(')')?.rfind('(')?;
    Some(&folded[..open]).filter(|b| !b.is_empty())
}

/// Whether `header` heads `item`'s column: its name, its label, or its label and the header
/// with or without a unit in brackets (`用水量`, `用水量（立方米）` and `用水量(m³)` all head an
/// item labelled `用水量（立方米）`).
fn heads(item: &DataItem, header: &str) -> bool {
    if header == item.name {
        return true;
    }
    let Some(l) = label(item) else {
        return false;
    };
    let (h, l) = (folded(header), folded(l));
    h == l || without_unit(&h).unwrap_or(&h) == without_unit(&l).unwrap_or(&l)
}

/// Maps a file's header to the entry's items: `result[i]` is the column holding item `i`. A
/// column is headed by the item's name or by its label: departments' files carry the Chinese
/// labels (街道代码, 月份) as often as the names. A name wins over a label when both match.
pub fn match_header(items: &[DataItem], columns: &[&str]) -> Result<Vec<usize>, HeaderMismatch> {
    let trimmed: Vec<&str> = columns.iter().map(|c| c.trim()).collect();
    let mut missing = Vec::new();
    let mut missing_count = 0;
    let mut map = Vec::with_capacity(items.len());
    for item in items {
        let by_name = trimmed.iter().position(|c| *c == item.name);
        let by_label = || trimmed.iter().position(|c| heads(item, c));
        match by_name.or_else(by_label) {
            Some(i) => map.push(i),
            None => {
                missing_count += 1;
                if missing.len() < LISTED {
                    // Both spellings the column may carry, so the uploader can rename it.
                    missing.push(match label(item).filter(|l| *l != item.name) {
                        Some(l) => format!("{} ({})", clip(&item.name), clip(l)),
                        None => clip(&item.name),
                    });
                }
            }
        }
    }
    let unknown_at: Vec<usize> = (0..trimmed.len())
        .filter(|&i| !map.contains(&i) && !items.iter().any(|item| heads(item, trimmed[i])))
        .collect();
    if missing_count == 0 && unknown_at.is_empty() {
        return Ok(map);
    }
    let detector = Detector::new();
    // Whether the header is really a first row of data is judged on (up to) a thousand columns;
    // then no header is shown at all, only positions and types: a diagnosis (高血压) in a first
    // row is personal data that no recognizer names.
    let values_in_header = unknown_at
        .iter()
        .take(1000)
        .any(|&i| describe_column(&detector, i, trimmed[i]).1);
    let unknown = unknown_at
        .iter()
        .take(LISTED)
        .map(|&i| {
            let (text, value) = describe_column(&detector, i, trimmed[i]);
            if values_in_header && !value {
                format!("column {}", i + 1)
            } else {
                text
            }
        })
        .collect();
    Err(HeaderMismatch {
        missing,
        missing_count,
        unknown,
        unknown_count: unknown_at.len(),
        values_in_header,
    })
}

/// Checks rows against data items and builds the report.
pub struct QualityChecker {
    items: Vec<DataItem>,
    detector: Detector,
    key_columns: Vec<usize>,
    keys: HashSet<[u8; 16]>,
    nulls: Vec<u64>,
    report: QualityReport,
}

impl QualityChecker {
    /// A checker for `items` (rows must come in this order).
    pub fn new(items: &[DataItem]) -> QualityChecker {
        QualityChecker {
            items: items.to_vec(),
            detector: Detector::new(),
            key_columns: (0..items.len()).filter(|&i| items[i].key).collect(),
            keys: HashSet::new(),
            nulls: vec![0; items.len()],
            report: QualityReport {
                rows_read: 0,
                rows_accepted: 0,
                rows_rejected: 0,
                rejections: BTreeMap::new(),
                examples: Vec::new(),
                items: Vec::new(),
                duplicate_keys: 0,
                duplicate_examples: Vec::new(),
            },
        }
    }

    /// Checks one row (`cells` in item order; `None` or blank is empty). Returns whether it is
    /// accepted.
    pub fn check_row(&mut self, cells: &[Option<&str>]) -> bool {
        self.report.rows_read += 1;
        let row = self.report.rows_read;
        let mut ok = true;
        for (i, item) in self.items.iter().enumerate() {
            let cell = cells.get(i).copied().flatten().map(str::trim).unwrap_or("");
            let reason = if cell.is_empty() {
                self.nulls[i] += 1;
                item.required.then_some(Reason::Missing)
            } else {
                check_cell(&self.detector, item, cell)
            };
            if let Some(reason) = reason {
                ok = false;
                *self.report.rejections.entry(reason).or_insert(0) += 1;
                if self.report.examples.len() < EXAMPLES {
                    self.report.examples.push(Rejection {
                        row,
                        item: item.name.clone(),
                        reason,
                    });
                }
            }
        }
        if !ok {
            self.report.rows_rejected += 1;
            return false;
        }
        self.report.rows_accepted += 1;
        if !self.key_columns.is_empty() {
            let key = crate::key128::key128(
                self.key_columns
                    .iter()
                    .map(|&i| cells.get(i).copied().flatten().map(str::trim).unwrap_or("")),
            );
            if !self.keys.insert(key) {
                self.report.duplicate_keys += 1;
                if self.report.duplicate_examples.len() < EXAMPLES {
                    self.report.duplicate_examples.push(row);
                }
            }
        }
        true
    }

    /// The report.
    pub fn finish(mut self) -> QualityReport {
        let n = self.report.rows_read;
        self.report.items = self
            .items
            .iter()
            .zip(&self.nulls)
            .map(|(item, &nulls)| ItemQuality {
                item: item.name.clone(),
                nulls,
                null_rate: if n == 0 { 0.0 } else { nulls as f64 / n as f64 },
            })
            .collect();
        self.report
    }
}

fn check_cell(detector: &Detector, item: &DataItem, cell: &str) -> Option<Reason> {
    let type_ok = match item.data_type {
        DataType::Text => true,
        DataType::Integer => cell.parse::<i64>().is_ok(),
        DataType::Decimal => is_decimal(cell),
        DataType::Date => is_date(cell),
        DataType::Timestamp => is_timestamp(cell),
        DataType::Boolean => is_boolean(cell),
    };
    if !type_ok {
        return Some(match item.data_type {
            DataType::Integer => Reason::NotInteger,
            DataType::Decimal => Reason::NotDecimal,
            DataType::Date => Reason::NotDate,
            DataType::Timestamp => Reason::NotTimestamp,
            _ => Reason::NotBoolean,
        });
    }
    match item.personal_info {
        Some(kind) if kind.has_defined_structure() && !detector.is_match(kind, cell) => {
            Some(Reason::InvalidPersonalInfo)
        }
        _ => None,
    }
}

fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    !(whole.is_empty() && frac.is_empty()) && digits(whole) && digits(frac)
}

fn is_date(s: &str) -> bool {
    normalize_date(s).is_some()
}

/// A date item's value in a form records use, as `YYYY-MM-DD`: a day (`2025-01-05`, `2025-1-5`,
/// `2025/01/05`, `2025.01.05`, `20250105`, `2025年1月5日`), or a month (`2025-01`, `2025/1`,
/// `202501`, `2025年1月`), a quarter (`2025Q1`, `2025-Q1`, `2025年第1季度`) or a year (`2025`,
/// `2025年`) as its first day: departments report by month or quarter as often as by day.
pub fn normalize_date(s: &str) -> Option<String> {
    let s = s.trim();
    let num = |p: &str, width: std::ops::RangeInclusive<usize>| {
        (width.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let year = |p: &str| num(p, 4..=4);
    let ymd =
        |y: u32, m: u32, d: u32| is_valid_date(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"));
    let quarter = |y: u32, q: &str| match num(q, 1..=1)? {
        q @ 1..=4 => ymd(y, q * 3 - 2, 1),
        _ => None,
    };
    if let Some((y, rest)) = s.split_once('年') {
        let y = year(y)?;
        if rest.is_empty() {
            return ymd(y, 1, 1);
        }
        if let Some(q) = rest.strip_prefix('第').and_then(|r| r.strip_suffix("季度")) {
            return quarter(y, q);
        }
        let (m, rest) = rest.split_once('月')?;
        let m = num(m, 1..=2)?;
        if rest.is_empty() {
            return ymd(y, m, 1);
        }
        return ymd(y, m, num(rest.strip_suffix('日')?, 1..=2)?);
    }
    if let Some((y, q)) = s.split_once(['Q', 'q']) {
        return quarter(year(y.strip_suffix('-').unwrap_or(y))?, q);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.len() {
            4 => ymd(year(s)?, 1, 1),
            6 => ymd(year(&s[..4])?, num(&s[4..], 2..=2)?, 1),
            8 => ymd(year(&s[..4])?, num(&s[4..6], 2..=2)?, num(&s[6..], 2..=2)?),
            _ => None,
        };
    }
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    match parts[..] {
        [y, m] => ymd(year(y)?, num(m, 1..=2)?, 1),
        [y, m, d] => ymd(year(y)?, num(m, 1..=2)?, num(d, 1..=2)?),
        _ => None,
    }
}

fn is_timestamp(s: &str) -> bool {
    // Byte positions below are only meaningful (and only safe to slice) on ASCII text.
    if !s.is_ascii() || s.len() < 19 {
        return false;
    }
    let (date, rest) = s.split_at(10);
    let sep = rest.as_bytes()[0];
    let time = &rest[1..9];
    let zone = &rest[9..];
    let t = time.as_bytes();
    let two = |i: usize, max: u32| {
        time.get(i..i + 2)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
            .is_some_and(|v| v <= max)
    };
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone[1..3]
                .bytes()
                .chain(zone[4..6].bytes())
                .all(|c| c.is_ascii_digit()));
    is_date(date)
        && (sep == b' ' || sep == b'T')
        && t[2] == b':'
        && t[5] == b':'
        && two(0, 23)
        && two(3, 59)
        && two(6, 59)
        && zone_ok
}

fn is_boolean(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "t" | "f" | "1" | "0" | "yes" | "no" | "y" | "n"
    ) || matches!(s, "是" | "否")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::catalog::SecurityGrade;
    use pubdata_detect::PiiType;

    fn item(
        name: &str,
        data_type: DataType,
        pi: Option<PiiType>,
        required: bool,
        key: bool,
    ) -> DataItem {
        DataItem {
            name: name.into(),
            label: name.into(),
            data_type,
            personal_info: pi,
            grade: SecurityGrade::L2,
            required,
            key,
            open: true,
        }
    }

    fn items() -> Vec<DataItem> {
        vec![
            item("account", DataType::Text, None, true, true),
            item(
                "holder_id",
                DataType::Text,
                Some(PiiType::CnResidentId),
                false,
                false,
            ),
            item("usage_m3", DataType::Decimal, None, false, false),
            item("read_on", DataType::Date, None, true, false),
        ]
    }

    #[test]
    fn rows_are_accepted_or_rejected_with_reasons_and_rows() {
        let mut c = QualityChecker::new(&items());
        // 11010519491231002X is the standard's sample with a valid check character.
        assert!(c.check_row(&[
            Some("A1"),
            Some("11010519491231002X"),
            Some("12.5"),
            Some("2026-11-01")
        ]));
        assert!(!c.check_row(&[
            Some("A2"),
            Some("110105194912310021"),
            Some("12.5"),
            Some("2026-11-01")
        ]));
        assert!(!c.check_row(&[Some("A3"), None, Some("twelve"), Some("2026-02-30")]));
        assert!(!c.check_row(&[None, None, None, None]));
        assert!(c.check_row(&[Some("A1"), None, None, Some("2026-11-02")]));
        let r = c.finish();
        assert_eq!((r.rows_read, r.rows_accepted, r.rows_rejected), (5, 2, 3));
        assert_eq!(r.rejections[&Reason::InvalidPersonalInfo], 1);
        assert_eq!(r.rejections[&Reason::NotDecimal], 1);
        assert_eq!(r.rejections[&Reason::NotDate], 1);
        assert_eq!(r.rejections[&Reason::Missing], 2);
        assert_eq!(
            r.examples[0],
            Rejection {
                row: 2,
                item: "holder_id".into(),
                reason: Reason::InvalidPersonalInfo
            }
        );
        assert_eq!(r.duplicate_keys, 1, "A1 came twice");
        assert_eq!(r.duplicate_examples, vec![5]);
        assert_eq!(r.items[1].nulls, 3);
        assert!((r.items[1].null_rate - 0.6).abs() < 1e-12);
    }

    #[test]
    fn a_report_reads_back_as_written_and_names_its_reasons_as_the_json_does() {
        let mut c = QualityChecker::new(&items());
        c.check_row(&[Some("A3"), None, Some("twelve"), Some("2026-02-30")]);
        c.check_row(&[None, Some("1"), None, Some("x")]);
        let r = c.finish();
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(
            serde_json::from_value::<QualityReport>(json.clone()).expect("read"),
            r
        );
        for reason in r.rejections.keys() {
            assert_eq!(serde_json::to_value(reason).expect("name"), reason.name());
        }
        // A report stored before a field existed still reads.
        let old: QualityReport =
            serde_json::from_str(r#"{"rows_read":3,"rows_accepted":3,"rows_rejected":0}"#)
                .expect("old report");
        assert_eq!((old.rows_read, old.duplicate_keys), (3, 0));
    }

    #[test]
    fn a_header_that_does_not_match_names_what_differs() {
        let it = items();
        assert_eq!(
            match_header(&it, &["read_on", "account", "usage_m3", "holder_id"]),
            Ok(vec![1, 3, 2, 0])
        );
        let err = match_header(&it, &["account", "usage_m3", "read_on", "remarks"])
            .expect_err("mismatch");
        assert_eq!(err.missing, vec!["holder_id"]);
        assert_eq!(err.unknown, vec!["column 4 \"remarks\""]);
        assert!(!err.values_in_header);
        assert!(err.to_string().contains("missing holder_id"), "{err}");
    }

    #[test]
    fn a_column_headed_by_the_items_label_is_that_item() {
        let mut it = items();
        for (item, label) in it
            .iter_mut()
            .zip(["户号", "户主身份证号", "用水量", "抄表日期"])
        {
            item.label = label.into();
        }
        // All labels, in another order; and labels mixed with names.
        assert_eq!(
            match_header(&it, &["抄表日期", "户号", " 用水量 ", "户主身份证号"]),
            Ok(vec![1, 3, 2, 0])
        );
        assert_eq!(
            match_header(&it, &["account", "户主身份证号", "usage_m3", "抄表日期"]),
            Ok(vec![0, 1, 2, 3])
        );
        // A header that is neither still names what is missing, by name and label.
        let err =
            match_header(&it, &["户号", "户主身份证号", "用水量", "日期"]).expect_err("mismatch");
        assert_eq!(err.missing, vec!["read_on (抄表日期)"]);
        // A unit in brackets, full-width or not, on either side, does not stand in the way.
        it[2].label = "用水量（立方米）".into();
        for header in [
            "用水量",
            "用水量（立方米）",
            "用水量(立方米)",
            "用水量 (m³)",
        ] {
            assert_eq!(
                match_header(&it, &["户号", "户主身份证号", header, "抄表日期"]),
                Ok(vec![0, 1, 2, 3]),
                "{header}"
            );
        }
        // But another word is another item.
        assert!(match_header(&it, &["户号", "户主身份证号", "用电量", "抄表日期"]).is_err());
    }

    #[test]
    fn a_first_row_of_data_shows_no_header_even_where_no_recognizer_names_it() {
        let err = match_header(&items(), &["高血压", "11010519491231002X"]).expect_err("no header");
        let text = err.to_string();
        assert!(!text.contains("高血压"), "{text}");
        assert_eq!(err.unknown[0], "column 1");
    }

    #[test]
    fn a_first_row_of_data_is_named_by_position_and_type_never_by_value() {
        let err = match_header(
            &items(),
            &["330106001", "11010519491231002X", " 13812345678 ", "张伟"],
        )
        .expect_err("no header row");
        let text = err.to_string();
        for value in ["330106001", "11010519491231002X", "13812345678", "张伟"] {
            assert!(!text.contains(value), "{value} in {text}");
        }
        assert_eq!(
            err.unknown[..3],
            [
                "column 1 holds a number (not shown)",
                "column 2 looks like cn_resident_id",
                "column 3 looks like cn_mobile",
            ]
        );
        assert!(err.unknown[3].starts_with("column 4 looks like"), "{text}");
        assert!(err.values_in_header);
        assert!(text.contains("header row"), "{text}");
        // A mistyped ID (its check character fails) is no type, but still not shown.
        let err = match_header(&items(), &["110105194912310021"]).expect_err("mismatch");
        assert_eq!(err.unknown, ["column 1 holds a number (not shown)"]);
        // A long name is cut.
        let long = "备注".repeat(100);
        let err = match_header(&items(), &[&long]).expect_err("mismatch");
        assert_eq!(
            err.unknown[0].chars().count(),
            "column 1 \"\"…".chars().count() + 40
        );
    }

    #[test]
    fn a_wide_header_lists_ten_columns_and_counts_the_rest() {
        let names: Vec<String> = (0..100_000).map(|i| format!("extra_column_{i}")).collect();
        let columns: Vec<&str> = names.iter().map(String::as_str).collect();
        let err = match_header(&items(), &columns).expect_err("mismatch");
        assert_eq!((err.unknown.len(), err.unknown_count), (10, 100_000));
        assert_eq!((err.missing.len(), err.missing_count), (4, 4));
        let text = err.to_string();
        assert!(text.contains("and 99990 more"), "{text}");
        assert!(text.len() < 1000, "{} bytes: {text}", text.len());

        let many: Vec<DataItem> = (0..50)
            .map(|i| item(&format!("item_{i}"), DataType::Text, None, false, false))
            .collect();
        let err = match_header(&many, &["x"]).expect_err("mismatch");
        assert_eq!((err.missing.len(), err.missing_count), (10, 50));
        assert!(err.to_string().contains("and 40 more"), "{err}");
    }

    #[test]
    fn types_accept_what_they_should() {
        for ok in ["0", "-3", "+12.50", ".5", "7."] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", ".", "1e5", "1,000", "-", "12.3.4", "NaN"] {
            assert!(!is_decimal(bad), "{bad}");
        }
        // Single-digit months and days are a form records use (see `normalize_date`).
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && is_date("2024-2-29"));
        for ok in [
            "2026-11-27 10:20:30",
            "2026-11-27T23:59:59Z",
            "2026-11-27T08:00:00+08:00",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for bad in [
            "2026-11-27",
            "2026-11-27 24:00:00",
            "2026-11-27 10:60:00",
            "2026-11-27 10:20:30+8",
            "２０２６-11-27 10:20:30",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
        assert!(is_boolean("TRUE") && is_boolean("否") && !is_boolean("maybe"));
    }

    #[test]
    fn date_items_take_the_forms_records_use() {
        for (text, date) in [
            ("2025-01-05", "2025-01-05"),
            ("2025-1-5", "2025-01-05"),
            ("2025/01/05", "2025-01-05"),
            ("2025.1.5", "2025-01-05"),
            ("20250105", "2025-01-05"),
            ("2025年1月5日", "2025-01-05"),
            ("2025-01", "2025-01-01"),
            ("2025/1", "2025-01-01"),
            ("202511", "2025-11-01"),
            ("2025年11月", "2025-11-01"),
            ("2025Q3", "2025-07-01"),
            ("2025-q4", "2025-10-01"),
            ("2025年第2季度", "2025-04-01"),
            ("2025", "2025-01-01"),
            ("2025年", "2025-01-01"),
            (" 2024-02-29 ", "2024-02-29"),
        ] {
            assert_eq!(normalize_date(text).as_deref(), Some(date), "{text}");
        }
        for text in [
            "2025-02-30",
            "2025-13",
            "2025Q5",
            "2025Q",
            "25-01-05",
            "2025-01-05-01",
            "2025年13月",
            "2025年1月5",
            "202513",
            "2025010",
            "january",
            "",
            "2025-",
            "-01",
        ] {
            assert_eq!(normalize_date(text), None, "{text}");
        }
    }

    proptest! {
        /// Every form of a day reads as that day, and whatever reads is a date Arrow casts.
        #[test]
        fn a_day_reads_the_same_in_every_form(y in 1900u32..2100, m in 1u32..=12, d in 1u32..=28) {
            let iso = format!("{y:04}-{m:02}-{d:02}");
            for form in [
                iso.clone(),
                format!("{y}-{m}-{d}"),
                format!("{y}/{m:02}/{d:02}"),
                format!("{y}.{m}.{d}"),
                format!("{y:04}{m:02}{d:02}"),
                format!("{y}年{m}月{d}日"),
            ] {
                prop_assert_eq!(normalize_date(&form), Some(iso.clone()), "{}", form);
            }
            prop_assert_eq!(normalize_date(&format!("{y}年{m}月")), Some(format!("{y:04}-{m:02}-01")));
        }

        /// Whatever text normalizes, normalizes to YYYY-MM-DD of a real day.
        #[test]
        fn what_normalizes_is_a_real_day(s in "[0-9年月日第季度Qq./-]{0,12}") {
            if let Some(iso) = normalize_date(&s) {
                let b = iso.as_bytes();
                prop_assert!(b.len() == 10 && b[4] == b'-' && b[7] == b'-', "{} -> {}", s, iso);
                let (y, m, d) = (iso[..4].parse().unwrap_or(0), iso[5..7].parse().unwrap_or(0), iso[8..].parse().unwrap_or(0));
                prop_assert!(is_valid_date(y, m, d), "{} -> {}", s, iso);
            }
        }

        /// No text makes a type check panic, whatever its characters.
        #[test]
        fn type_checks_take_any_text(s in "\\PC{0,30}") {
            let _ = (is_decimal(&s), is_date(&s), is_timestamp(&s), is_boolean(&s));
            let detector = Detector::new();
            for data_type in [DataType::Integer, DataType::Decimal, DataType::Date, DataType::Timestamp, DataType::Boolean] {
                let _ = check_cell(&detector, &item("x", data_type, Some(PiiType::CnResidentId), false, false), &s);
            }
        }

        /// Every row is counted once, as accepted or rejected, whatever its cells; nothing panics.
        #[test]
        fn rows_are_counted_once(rows in prop::collection::vec(
            prop::collection::vec(prop::option::of("[0-9A-Za-z .:+\\-]{0,12}"), 0..6), 0..40)
        ) {
            let mut c = QualityChecker::new(&items());
            let mut accepted = 0;
            for row in &rows {
                let cells: Vec<Option<&str>> = row.iter().map(|c| c.as_deref()).collect();
                if c.check_row(&cells) {
                    accepted += 1;
                }
            }
            let r = c.finish();
            prop_assert_eq!(r.rows_read, rows.len() as u64);
            prop_assert_eq!(r.rows_accepted, accepted);
            prop_assert_eq!(r.rows_accepted + r.rows_rejected, r.rows_read);
            prop_assert!(r.duplicate_keys <= r.rows_accepted);
        }
    }
}
