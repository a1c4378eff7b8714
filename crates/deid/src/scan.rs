//! Column classification: what personal information every column of a table holds.
//!
//! A column is probed on its first values with every recognizer to pick a candidate type; after
//! that only the candidate's validator runs on each value, which is what makes a full scan of a
//! structured column cost one check per cell. Columns whose values read as sentences are free text:
//! there every value is searched for spans of every type.

use std::collections::BTreeMap;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, cast::AsArray};
use arrow_schema::{DataType, Schema};
use pubdata_detect::{Detector, PiiType, Span};
use serde::Serialize;

use crate::hints;

/// How many non-null values of a column are probed with every recognizer before a type is chosen.
pub const DEFAULT_PROBE: usize = 1000;

/// Errors of the scanner.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A column could not be read as text.
    #[error("column {column:?}: cannot read {data_type} values as text: {source}")]
    Cast {
        column: String,
        data_type: DataType,
        source: arrow_schema::ArrowError,
    },
    /// A batch does not have the schema the scanner was created for.
    #[error("batch has {found} columns, the table has {expected}")]
    Shape { expected: usize, found: usize },
}

/// What the scan suggests doing with a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Identifies a person on its own (ID number, phone, name ...).
    DirectIdentifier,
    /// Identifies a person in combination (birth date, gender, address ...).
    QuasiIdentifier,
    /// Sensitive personal information (health, finances ...).
    Sensitive,
    /// Nothing personal found.
    Other,
}

impl Role {
    /// The snake_case name used in reports and policies.
    pub fn name(self) -> &'static str {
        match self {
            Role::DirectIdentifier => "direct_identifier",
            Role::QuasiIdentifier => "quasi_identifier",
            Role::Sensitive => "sensitive",
            Role::Other => "other",
        }
    }

    fn of(kind: PiiType) -> Role {
        if kind.is_direct_identifier() {
            Role::DirectIdentifier
        } else if kind.is_quasi_identifier() {
            Role::QuasiIdentifier
        } else {
            Role::Other
        }
    }
}

/// One span found in a free-text column, in character offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SpanRecord {
    /// 0-based row number in the table.
    pub row: u64,
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// What was found.
    #[serde(rename = "type")]
    pub kind: PiiType,
}

/// The verdict on one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// Column name as in the table.
    pub name: String,
    /// 0-based position.
    pub index: usize,
    /// Canonical type name, `free_text`, or null when nothing personal was recognized.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Share of non-null values that match the type (for free text: that contain at least one span).
    pub match_ratio: f64,
    /// How sure the scan is of `type` and `role`, 0 to 1.
    pub confidence: f64,
    /// Suggested role for de-identification.
    pub role: Role,
    /// Why, in a sentence a data officer can check.
    pub reason: String,
    /// Non-null values that match the type (for free text: that contain at least one span).
    pub matches: u64,
    /// Non-null values seen.
    pub non_null: u64,
    /// Null values seen.
    pub nulls: u64,
    /// For resident-ID columns scanned with a region table: IDs whose 6-digit region code is current
    /// (the others carry codes retired since issue, still valid IDs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_current: Option<u64>,
    /// For free text: how many spans of each type were found.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
    /// For free text with spans requested: every span found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<SpanRecord>,
}

impl ColumnReport {
    /// The detected personal-information type, when the column holds one (not free text).
    pub fn pii_type(&self) -> Option<PiiType> {
        self.kind.as_deref().and_then(|k| k.parse().ok())
    }

    /// True when the column was classified as free text.
    pub fn is_free_text(&self) -> bool {
        self.kind.as_deref() == Some("free_text")
    }
}

/// Settings of a scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Non-null values per column probed with every recognizer.
    pub probe: usize,
    /// Keep every span found in free-text columns.
    pub spans: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            probe: DEFAULT_PROBE,
            spans: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Probing,
    Structured(PiiType),
    FreeText,
    Plain,
}

struct ColumnState {
    name: String,
    mode: Mode,
    non_null: u64,
    nulls: u64,
    /// Values that matched the structured type, or (free text) contained a span.
    hits: u64,
    /// Probe phase: how many values `classify` put in each type.
    tally: BTreeMap<PiiType, u64>,
    probed: u64,
    sentence_like: u64,
    span_counts: BTreeMap<PiiType, u64>,
    region_current: u64,
    spans: Vec<SpanRecord>,
    /// Probe-phase span results, kept until the mode is known.
    probe_spans: Vec<(u64, Span)>,
    probe_span_values: u64,
}

/// Streams batches through the recognizers and reports on every column.
pub struct Scanner<'d> {
    detector: &'d Detector,
    options: ScanOptions,
    columns: Vec<ColumnState>,
    rows: u64,
    scratch: Vec<Span>,
}

impl<'d> Scanner<'d> {
    /// A scanner for tables of `schema`.
    pub fn new(detector: &'d Detector, schema: &Schema, options: ScanOptions) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| ColumnState {
                name: f.name().clone(),
                mode: Mode::Probing,
                non_null: 0,
                nulls: 0,
                hits: 0,
                tally: BTreeMap::new(),
                probed: 0,
                sentence_like: 0,
                span_counts: BTreeMap::new(),
                region_current: 0,
                spans: Vec::new(),
                probe_spans: Vec::new(),
                probe_span_values: 0,
            })
            .collect();
        Self {
            detector,
            options,
            columns,
            rows: 0,
            scratch: Vec::new(),
        }
    }

    /// Rows scanned so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Scans one batch.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), ScanError> {
        if batch.num_columns() != self.columns.len() {
            return Err(ScanError::Shape {
                expected: self.columns.len(),
                found: batch.num_columns(),
            });
        }
        for (i, array) in batch.columns().iter().enumerate() {
            let strings = as_strings(array).map_err(|source| ScanError::Cast {
                column: self.columns[i].name.clone(),
                data_type: array.data_type().clone(),
                source,
            })?;
            let Some(strings) = strings else { continue };
            self.scan_column(i, &strings);
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn scan_column(&mut self, i: usize, values: &StringArray) {
        let probe = self.options.probe as u64;
        let keep_spans = self.options.spans;
        let detector = self.detector;
        let col = &mut self.columns[i];
        col.nulls += values.null_count() as u64;
        for (offset, value) in values.iter().enumerate() {
            let Some(value) = value else { continue };
            col.non_null += 1;
            let row = self.rows + offset as u64;
            match col.mode {
                Mode::Probing => {
                    col.probed += 1;
                    if let Some(kind) = detector.classify(value) {
                        *col.tally.entry(kind).or_default() += 1;
                        if kind == PiiType::CnResidentId && detector.has_regions() {
                            let current = detector
                                .resident_id_info(value)
                                .and_then(|i| i.region_current);
                            col.region_current += u64::from(current == Some(true));
                        }
                    }
                    if looks_like_sentence(value) {
                        col.sentence_like += 1;
                    }
                    detector.find_spans_into(value, &mut self.scratch);
                    if !self.scratch.is_empty() {
                        col.probe_span_values += 1;
                    }
                    col.probe_spans
                        .extend(self.scratch.iter().map(|s| (row, *s)));
                    if col.probed >= probe {
                        col.decide(keep_spans);
                    }
                }
                Mode::Structured(PiiType::CnResidentId) if detector.has_regions() => {
                    if let Some(info) = detector.resident_id_info(value) {
                        col.hits += 1;
                        col.region_current += u64::from(info.region_current == Some(true));
                    }
                }
                Mode::Structured(kind) => {
                    if detector.is_match(kind, value) {
                        col.hits += 1;
                    }
                }
                Mode::FreeText => {
                    detector.find_spans_into(value, &mut self.scratch);
                    if !self.scratch.is_empty() {
                        col.hits += 1;
                    }
                    for s in &self.scratch {
                        col.record_span(row, s, keep_spans);
                    }
                }
                Mode::Plain => {}
            }
        }
    }

    /// The verdict on every column.
    pub fn finish(mut self) -> Vec<ColumnReport> {
        let keep_spans = self.options.spans;
        let has_regions = self.detector.has_regions();
        self.columns
            .iter_mut()
            .enumerate()
            .map(|(index, col)| {
                if col.mode == Mode::Probing {
                    col.decide(keep_spans);
                }
                col.report(index, has_regions)
            })
            .collect()
    }
}

/// Text of any column as strings; `None` for columns with no text form (binary, nested).
fn as_strings(array: &ArrayRef) -> Result<Option<StringArray>, arrow_schema::ArrowError> {
    match array.data_type() {
        DataType::Utf8 => Ok(Some(array.as_string::<i32>().clone())),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::FixedSizeBinary(_)
        | DataType::BinaryView => Ok(None),
        DataType::List(_) | DataType::LargeList(_) | DataType::Struct(_) | DataType::Map(_, _) => {
            Ok(None)
        }
        _ => {
            let cast = arrow_cast::cast(array, &DataType::Utf8)?;
            Ok(Some(cast.as_string::<i32>().clone()))
        }
    }
}

/// Sentences are longer than any identifier and mix ideographs with punctuation or spaces.
fn looks_like_sentence(value: &str) -> bool {
    let mut chars = 0usize;
    let mut breaks = 0usize;
    for c in value.chars() {
        chars += 1;
        if matches!(
            c,
            '，' | '。' | '；' | '：' | '、' | '！' | '？' | '（' | '）' | ',' | '.' | ';' | ' '
        ) {
            breaks += 1;
        }
    }
    chars >= 12 && breaks >= 1
}

impl ColumnState {
    /// Counts a span found in free text, and keeps it when spans were asked for.
    fn record_span(&mut self, row: u64, s: &Span, keep: bool) {
        *self.span_counts.entry(s.kind).or_default() += 1;
        if keep {
            self.spans.push(SpanRecord {
                row,
                start: s.start,
                end: s.end,
                kind: s.kind,
            });
        }
    }

    fn decide(&mut self, keep_spans: bool) {
        let probed = self.probed.max(1) as f64;
        let best = self
            .tally
            .iter()
            .max_by_key(|&(k, n)| (*n, std::cmp::Reverse(*k)))
            .map(|(k, n)| (*k, *n));
        let sentence_share = self.sentence_like as f64 / probed;
        let span_share = self.probe_span_values as f64 / probed;
        self.mode = match best {
            Some((kind, n)) if n as f64 / probed >= 0.5 => Mode::Structured(kind),
            _ if sentence_share >= 0.3 => Mode::FreeText,
            Some((kind, n)) if n as f64 / probed >= 0.05 && span_share < 0.5 => {
                Mode::Structured(kind)
            }
            _ if span_share >= 0.05 => Mode::FreeText,
            _ => Mode::Plain,
        };
        match self.mode {
            Mode::Structured(kind) => self.hits = self.tally.get(&kind).copied().unwrap_or(0),
            Mode::FreeText => {
                self.hits = self.probe_span_values;
                for (row, s) in std::mem::take(&mut self.probe_spans) {
                    self.record_span(row, &s, keep_spans);
                }
            }
            Mode::Probing | Mode::Plain => {}
        }
        self.probe_spans = Vec::new();
        self.tally.clear();
    }

    fn report(&mut self, index: usize, has_regions: bool) -> ColumnReport {
        let ratio = if self.non_null == 0 {
            0.0
        } else {
            self.hits as f64 / self.non_null as f64
        };
        let non_null = self.non_null;
        let regions_checked = self.mode == Mode::Structured(PiiType::CnResidentId) && has_regions;
        let (kind, role, confidence, mut reason) = match self.mode {
            Mode::Structured(kind) => structured_verdict(&self.name, kind, ratio, non_null),
            Mode::FreeText => {
                let found: Vec<String> = self
                    .span_counts
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                let role = if self.span_counts.keys().any(|k| k.is_direct_identifier()) {
                    Role::DirectIdentifier
                } else if self.span_counts.keys().any(|k| k.is_quasi_identifier()) {
                    Role::QuasiIdentifier
                } else {
                    Role::Other
                };
                let reason = if found.is_empty() {
                    "free text; no personal information found in it".to_string()
                } else {
                    format!(
                        "free text; {:.1}% of values embed personal information: {}",
                        ratio * 100.0,
                        found.join(", ")
                    )
                };
                (
                    Some("free_text".to_string()),
                    role,
                    0.6 + 0.4 * ratio.min(1.0),
                    reason,
                )
            }
            Mode::Probing | Mode::Plain => plain_verdict(&self.name, non_null),
        };
        if regions_checked && self.hits > 0 {
            let retired = self.hits - self.region_current;
            reason.push_str(&format!(
                "; {:.1}% carry a current GB/T 2260 region code, {retired} a retired one",
                self.region_current as f64 * 100.0 / self.hits as f64
            ));
        }
        // A column the verdict gives no type has nothing to match, whatever its values looked like.
        let (ratio, matches) = if kind.is_some() {
            (ratio, self.hits)
        } else {
            (0.0, 0)
        };
        ColumnReport {
            name: self.name.clone(),
            index,
            kind,
            match_ratio: ratio,
            matches,
            confidence: (confidence * 1000.0).round() / 1000.0,
            role,
            reason,
            non_null,
            nulls: self.nulls,
            region_current: regions_checked.then_some(self.region_current),
            counts: self
                .span_counts
                .iter()
                .map(|(k, n)| (k.name().to_string(), *n))
                .collect(),
            spans: std::mem::take(&mut self.spans),
        }
    }
}

fn structured_verdict(
    name: &str,
    kind: PiiType,
    ratio: f64,
    non_null: u64,
) -> (Option<String>, Role, f64, String) {
    // Postal codes and dates are weak signals (six digits or a date may be anything), and so is a
    // type that only some values match. A header that names sensitive data outranks them.
    let weak = ratio < 0.5
        || matches!(
            kind,
            PiiType::PostalCode | PiiType::DateOfBirth | PiiType::Gender
        );
    if weak && let Some(why) = hints::sensitive_hint(name) {
        return (
            None,
            Role::Sensitive,
            0.7,
            format!(
                "the name marks {why} data; values also read as {kind}, which is weaker evidence"
            ),
        );
    }
    let mut confidence = ratio;
    let mut reason = format!(
        "{:.1}% of {non_null} non-null values are valid {}",
        ratio * 100.0,
        describe(kind)
    );
    if kind == PiiType::DateOfBirth && !hints::says_birth(name) {
        confidence *= 0.6;
        reason.push_str("; the name does not say these are birth dates, but dates about a person still single them out");
    }
    if ratio < 0.5 {
        reason.push_str("; mixed content, review by hand");
    }
    (
        Some(kind.name().to_string()),
        Role::of(kind),
        confidence,
        reason,
    )
}

fn plain_verdict(name: &str, non_null: u64) -> (Option<String>, Role, f64, String) {
    if let Some(why) = hints::sensitive_hint(name) {
        return (
            None,
            Role::Sensitive,
            0.7,
            format!("the column name marks {why} data (sensitive personal information)"),
        );
    }
    if let Some(word) = hints::quasi_hint(name) {
        return (
            None,
            Role::QuasiIdentifier,
            0.6,
            format!("the column name ({word}) marks a common quasi-identifier"),
        );
    }
    let reason = if non_null == 0 {
        "no values".to_string()
    } else {
        "no personal information recognized in its values".to_string()
    };
    (None, Role::Other, 0.8, reason)
}

fn describe(kind: PiiType) -> &'static str {
    match kind {
        PiiType::CnResidentId => "resident ID numbers (GB 11643 check digit, birth date, region)",
        PiiType::CnMobile => "mobile numbers (allocated prefixes)",
        PiiType::CnLandline => "landline numbers with area codes",
        PiiType::Email => "email addresses",
        PiiType::BankCard => "bank card numbers (Luhn, card BIN)",
        PiiType::CnUscc => "unified social credit codes (GB 32100 check character)",
        PiiType::CnLicensePlate => "licence plates",
        PiiType::Passport => "passport numbers",
        PiiType::CnHkMacauPermit => "Hong Kong / Macao travel permit numbers",
        PiiType::CnTaiwanPermit => "Taiwan travel permit numbers",
        PiiType::IpAddress => "IP addresses",
        PiiType::PersonName => "personal names (surname + given name)",
        PiiType::Address => "addresses (division names and street patterns)",
        PiiType::DateOfBirth => "dates",
        PiiType::Gender => "genders",
        PiiType::PostalCode => "postal codes",
        PiiType::GeoCoordinate => "geographic coordinates",
        PiiType::OrganizationName => "organization names",
    }
}
