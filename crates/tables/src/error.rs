//! The single error type of this crate.
//!
//! Every variant that concerns a file carries that file's path, so the
//! `Display` text alone is enough for a CLI user to find the problem. Messages
//! from third-party parsers are flattened to one line with [`one_line`]
//! because log lines and progress bars break on embedded newlines.

use std::path::Path;

/// Errors from opening, reading or writing a table.
///
/// `Display` is always a single line that starts with the file (where one is
/// involved) and, where it applies, the 1-based line and column.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A reader of several parts was given parts with different columns.
    #[error("{file}: part {part} has other columns than the first part")]
    MixedParts {
        /// What the parts make up, as the caller names it.
        file: String,
        /// 1-based position of the first part that differs.
        part: usize,
    },
    /// The file could not be opened (missing, permission denied, ...).
    #[error("{file}: cannot open: {}", io_message(.source))]
    Open {
        /// Path as given by the caller.
        file: String,
        /// Underlying OS error.
        source: std::io::Error,
    },
    /// An I/O error while reading or writing after the file was opened.
    #[error("{file}: {action} error: {}", io_message(.source))]
    Io {
        /// Path as given by the caller.
        file: String,
        /// "read" or "write".
        action: &'static str,
        /// Underlying OS error.
        source: std::io::Error,
    },
    /// The format could not be derived from the file name.
    #[error(
        "{file}: unknown table format (expected extension .csv, .tsv, .tab, .xlsx, .xlsm, .jsonl, .ndjson, .parquet or .pq)"
    )]
    UnknownFormat {
        /// Path as given by the caller.
        file: String,
    },
    /// A format name given on the command line is not recognised.
    #[error("unknown table format {0:?} (expected csv, tsv, xlsx, jsonl or parquet)")]
    InvalidFormatName(String),
    /// The file has no header / no data from which a schema could be derived.
    #[error("{file}: file is empty ({what})")]
    Empty {
        /// Path as given by the caller.
        file: String,
        /// What was missing, e.g. "no header".
        what: &'static str,
    },
    /// The input bytes are not valid in the text encoding in use.
    #[error("{file}: line {line}, byte {byte}: invalid {encoding} byte sequence{hint}")]
    Decode {
        /// Path as given by the caller.
        file: String,
        /// 1-based physical line of the offending byte.
        line: u64,
        /// 0-based byte offset of the offending byte in the file.
        byte: u64,
        /// Encoding name, e.g. "UTF-8" or "GB18030".
        encoding: &'static str,
        /// Extra advice (starts with a space) or empty.
        hint: &'static str,
    },
    /// A CSV/TSV record has a different number of fields than the header.
    #[error("{file}: line {line}: expected {expected} fields, found {found}")]
    FieldCount {
        /// Path as given by the caller.
        file: String,
        /// 1-based line on which the record starts.
        line: u64,
        /// Number of columns in the schema.
        expected: usize,
        /// Number of fields in the record.
        found: usize,
    },
    /// Any other CSV/TSV parse error.
    #[error("{file}: line {line}: {message}")]
    Csv {
        /// Path as given by the caller.
        file: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// Parser message.
        message: String,
    },
    /// A JSON Lines line is not valid JSON.
    #[error("{file}: line {line}, column {column}: invalid JSON: {message}")]
    Json {
        /// Path as given by the caller.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column within the line (in characters, as serde_json counts).
        column: usize,
        /// Parser message.
        message: String,
    },
    /// A JSON Lines line is valid JSON but not an object.
    #[error("{file}: line {line}: expected a JSON object, found {found}")]
    JsonNotObject {
        /// Path as given by the caller.
        file: String,
        /// 1-based line.
        line: u64,
        /// Kind of JSON value found, e.g. "array".
        found: &'static str,
    },
    /// A JSON Lines key first appeared after the schema was fixed.
    #[error(
        "{file}: line {line}: key {key:?} does not appear in the first {batch_size} rows, so it is not in the schema"
    )]
    JsonNewKey {
        /// Path as given by the caller.
        file: String,
        /// 1-based line.
        line: u64,
        /// The new key.
        key: String,
        /// Number of rows used to fix the schema.
        batch_size: usize,
    },
    /// The workbook could not be opened or read.
    #[error("{file}: cannot open workbook: {message}")]
    Workbook {
        /// Path as given by the caller.
        file: String,
        /// calamine's message.
        message: String,
    },
    /// The requested sheet does not exist.
    #[error("{file}: sheet {sheet:?} not found (available: {available})")]
    SheetNotFound {
        /// Path as given by the caller.
        file: String,
        /// Requested sheet.
        sheet: String,
        /// Comma-separated, quoted list of sheet names.
        available: String,
    },
    /// A problem with a particular worksheet cell.
    #[error("{file}: sheet {sheet:?}, cell {cell}: {message}")]
    Cell {
        /// Path as given by the caller.
        file: String,
        /// Sheet name.
        sheet: String,
        /// A1-style reference; its row number is the 1-based spreadsheet row.
        cell: String,
        /// What is wrong.
        message: String,
    },
    /// The Parquet footer/metadata could not be read.
    #[error("{file}: not a Parquet file (corrupt footer): {message}")]
    NotParquet {
        /// Path as given by the caller.
        file: String,
        /// parquet crate's message.
        message: String,
    },
    /// Reading Parquet data pages failed after the footer was accepted.
    #[error("{file}: corrupt Parquet data: {message}")]
    ParquetData {
        /// Path as given by the caller.
        file: String,
        /// parquet crate's message.
        message: String,
    },
    /// Writing failed for a reason other than plain I/O.
    #[error("{file}: cannot write: {message}")]
    Write {
        /// Path as given by the caller.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// Arrow rejected an array or batch (a bug or an unsupported type).
    #[error("{file}: {message}")]
    Arrow {
        /// Path as given by the caller.
        file: String,
        /// Arrow's message.
        message: String,
    },
    /// A column could not be rendered as text (see `cast_to_utf8`).
    #[error("cannot convert {data_type} column to text: {message}")]
    Cast {
        /// Arrow type of the column.
        data_type: String,
        /// Arrow's message.
        message: String,
    },
    /// The input exceeds one of the [`ReadLimits`](crate::ReadLimits) (or
    /// a bound derived from one). The message names the file, where the
    /// limit was hit and the limit, never the offending cell's content.
    #[error("{file}: {location}: {what} (limit {limit} {unit}, {name})")]
    LimitExceeded {
        /// Path as given by the caller.
        file: String,
        /// Where, e.g. `line 3, column 2`, `sheet "S", cell B7`,
        /// `xl/sharedStrings.xml, shared string 12`, `row group 0`.
        location: String,
        /// What was found, e.g. `field is 2000000 bytes long`.
        what: String,
        /// Which limit, e.g. `ReadLimits::max_field_bytes`.
        name: &'static str,
        /// The limit's value.
        limit: u64,
        /// Unit of `limit`: "bytes" or "strings".
        unit: &'static str,
    },
    /// A reader thread or library panicked; reported instead of crashing.
    #[error("{file}: internal error while reading: {message}")]
    Internal {
        /// Path as given by the caller.
        file: String,
        /// Panic payload or description.
        message: String,
    },
}

/// A [`TableError::LimitExceeded`] without its file, for code that does not
/// know the path, and as the payload of an `io::Error` raised inside a
/// reader stack (see `decode::map_read_error`).
#[derive(Debug, Clone)]
pub(crate) struct LimitFailure {
    pub(crate) location: String,
    pub(crate) what: String,
    pub(crate) name: &'static str,
    pub(crate) limit: u64,
    pub(crate) unit: &'static str,
}

impl LimitFailure {
    /// A limit in bytes, named by its `ReadLimits` field.
    pub(crate) fn bytes(
        location: impl Into<String>,
        what: impl Into<String>,
        name: &'static str,
        limit: u64,
    ) -> LimitFailure {
        LimitFailure {
            location: location.into(),
            what: what.into(),
            name,
            limit,
            unit: "bytes",
        }
    }

    pub(crate) fn into_error(self, file: String) -> TableError {
        TableError::LimitExceeded {
            file,
            location: one_line(&self.location),
            what: self.what,
            name: self.name,
            limit: self.limit,
            unit: self.unit,
        }
    }

    /// Wraps this failure in an `io::Error` so that it can travel through
    /// `Read`-based parsers (the csv crate) back to us intact.
    pub(crate) fn into_io(self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, self)
    }
}

impl std::fmt::Display for LimitFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (limit {} {}, {})",
            self.location, self.what, self.limit, self.unit, self.name
        )
    }
}

impl std::error::Error for LimitFailure {}

/// OS error text without the " (os error N)" suffix, which means nothing
/// to the people reading these messages.
fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text)
            .to_string(),
        None => text,
    };
    one_line(&text)
}

/// Display form of a path used in every error message.
pub(crate) fn file_label(path: &Path) -> String {
    one_line(&path.display().to_string())
}

/// Collapses any line breaks so that an error stays on one line.
pub(crate) fn one_line(msg: &str) -> String {
    if !msg.contains(['\n', '\r']) {
        return msg.to_string();
    }
    msg.split(['\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders a caught panic payload as text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        one_line(s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        one_line(s)
    } else {
        "panic".to_string()
    }
}
