//! Streaming table I/O on Apache Arrow for pubdata.
//!
//! [`open`] reads CSV, TSV, XLSX, JSON Lines and Parquet files as a stream of
//! [`RecordBatch`]es of at most [`ReadOptions::batch_size`] rows, so memory
//! stays bounded by the batch size rather than the file size.
//! [`TableWriter`] writes CSV, TSV and Parquet atomically (temp file + rename).
//!
//! # Text formats are read as strings
//! CSV, TSV, XLSX and JSON Lines columns are all nullable `Utf8`. Nothing is
//! type-inferred: resident IDs, phone numbers and postal codes carry leading
//! zeros ("007") that inference would destroy. Consumers cast where they know
//! the type. An empty field (or empty cell, or JSON `null`/`""`) reads as null.
//! Parquet columns keep their Arrow types; [`cast_to_utf8`] renders any
//! column as strings.
//!
//! # Column names
//! See [`unique_column_names`]: empty header names become `column_N` (1-based
//! position) and duplicates get `_2`, `_3`, ... appended. Without a header
//! row ([`ReadOptions::has_header`] = false) all columns are `column_N`.
//!
//! # Text encodings
//! CSV, TSV and JSON Lines are decoded as a stream ([`TextEncoding`]). With
//! `Auto`, the first 64 KiB decide: valid UTF-8 (a cut-off last character is
//! allowed) means UTF-8, otherwise GB18030 (superset of GBK). Malformed input
//! is an error naming the line and byte offset, never a U+FFFD replacement.
//!
//! # Format specifics
//! * CSV/TSV: RFC 4180 quoting in both (quoted fields may contain delimiters
//!   and newlines); blank lines are skipped; a record with a different field
//!   count than the header is an error naming its line.
//! * XLSX: first sheet unless [`ReadOptions::sheet`] is set. The sheet is
//!   streamed with calamine's cell reader; the first non-empty row is the
//!   header and fixes the columns (from its first to its last non-empty
//!   cell). Fully empty rows are skipped; a value outside the header's
//!   columns is an error naming the cell. Numbers print in shortest form
//!   without a trailing ".0", booleans as `true`/`false`, dates as ISO 8601,
//!   formula errors as their text (e.g. `#DIV/0!`).
//! * JSON Lines: one object per line, blank lines skipped. The columns are
//!   the keys in first-seen order over the first batch; a key first seen
//!   after that is an error (the schema is fixed once a batch is out).
//!   Strings are taken as-is, numbers and booleans as their exact JSON text,
//!   nested arrays/objects as compact JSON text.
//!
//! # Limits
//! [`ReadOptions::limits`] ([`ReadLimits`]) bounds what a reader accepts, so
//! that a small hostile file (a zip bomb, an unterminated CSV quote, a
//! gigabyte-long JSON line) is refused with [`TableError::LimitExceeded`]
//! instead of exhausting memory. Each limit is checked before or while the
//! data it guards is buffered, never after:
//! * CSV/TSV: field (1 MiB) and record (16 MiB) length; the error names the
//!   line and column.
//! * JSON Lines: line length (16 MiB); the error names the line.
//! * XLSX: total uncompressed size of the zip's parts (1 GiB) and of the
//!   shared-strings part (256 MiB), read from the central directory before
//!   calamine opens the workbook; then, in one streaming pass over the XML
//!   with constant memory, the number of shared strings (5 million) and the
//!   text length of each shared string and cell (128 KiB, see
//!   [`ReadLimits::max_cell_bytes`]). Errors name the part and the shared
//!   string's index or the cell.
//! * Parquet: uncompressed size of each row group and column chunk (1 GiB),
//!   from the footer before any data page is read.
//!
//! Error messages carry positions, sizes and limits only, never cell values.

#![warn(missing_docs)]

mod batch;
mod decode;
mod delimited;
mod error;
mod jsonl;
mod limits;
mod parquet_read;
mod write;
mod xlsx;
mod xlsx_limits;
mod xlsx_render;

use std::fmt;
use std::fs::File;
use std::path::Path;
use std::str::FromStr;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

pub use batch::{same_columns, unique_column_names};
pub use decode::{SNIFF_LEN, TextEncoding, sniff_is_utf8};
pub use error::TableError;
pub use limits::ReadLimits;
pub use write::{TableWriter, cast_to_utf8};

/// A supported table file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values.
    Csv,
    /// Tab-separated values (same quoting rules as CSV).
    Tsv,
    /// Excel 2007+ workbook (read only).
    Xlsx,
    /// One JSON object per line (read only).
    JsonLines,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// Format from the file extension (case-insensitive): csv; tsv, tab;
    /// xlsx, xlsm; jsonl, ndjson; parquet, pq.
    pub fn from_path(p: &Path) -> Result<Format, TableError> {
        p.extension()
            .and_then(|e| e.to_str())
            .and_then(|e| e.parse().ok())
            .ok_or_else(|| TableError::UnknownFormat {
                file: error::file_label(p),
            })
    }

    /// Canonical short name, as accepted by `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Xlsx => "xlsx",
            Format::JsonLines => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

impl FromStr for Format {
    type Err = TableError;

    /// Parses a canonical name or a file-extension alias, case-insensitively.
    fn from_str(s: &str) -> Result<Format, TableError> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "tsv" | "tab" => Ok(Format::Tsv),
            "xlsx" | "xlsm" => Ok(Format::Xlsx),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(TableError::InvalidFormatName(s.to_string())),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to read a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Format override; `None` derives it from the file extension.
    pub format: Option<Format>,
    /// Text encoding for CSV, TSV and JSON Lines (ignored otherwise).
    pub encoding: TextEncoding,
    /// Maximum rows per batch (default 8192; 0 is treated as 1).
    pub batch_size: usize,
    /// XLSX sheet name; `None` reads the first sheet.
    pub sheet: Option<String>,
    /// Whether the first CSV/TSV row or XLSX non-empty row holds the column
    /// names (default true). Ignored for JSON Lines and Parquet.
    pub has_header: bool,
    /// Field delimiter for CSV/TSV; `None` uses the format's own (`,` or tab).
    pub delimiter: Option<u8>,
    /// Size limits against decompression bombs and unbounded cells (see
    /// [`ReadLimits`] for the defaults).
    pub limits: ReadLimits,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            encoding: TextEncoding::Auto,
            batch_size: 8192,
            sheet: None,
            has_header: true,
            delimiter: None,
            limits: ReadLimits::default(),
        }
    }
}

enum Source {
    Csv(Box<delimited::CsvSource>),
    Json(Box<jsonl::JsonSource>),
    Xlsx(Box<xlsx::XlsxSource>),
    Parquet(Box<parquet_read::ParquetSource>),
    /// Several readers with the same columns, one after another (a dataset version's parts).
    Chain(Box<Chain>),
}

struct Chain {
    schema: SchemaRef,
    readers: std::collections::VecDeque<TableReader>,
    bytes_done: u64,
}

/// A stream of record batches from one file; see [`open`].
///
/// After the iterator yields an error it yields `None`: a stream with a
/// broken record cannot be resynchronised reliably.
pub struct TableReader {
    format: Format,
    total: Option<u64>,
    source: Source,
}

/// Opens a table file and reads just enough to know its schema (the header
/// row; for JSON Lines the first batch; for Parquet the footer).
pub fn open(path: &Path, opts: &ReadOptions) -> Result<TableReader, TableError> {
    let format = match opts.format {
        Some(f) => f,
        None => Format::from_path(path)?,
    };
    let file = File::open(path).map_err(|e| TableError::Open {
        file: error::file_label(path),
        source: e,
    })?;
    let total = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let opts = ReadOptions {
        batch_size: opts.batch_size.max(1),
        ..opts.clone()
    };
    let source = match format {
        Format::Csv => Source::Csv(Box::new(delimited::CsvSource::open(
            path,
            file,
            opts.delimiter.unwrap_or(b','),
            &opts,
        )?)),
        Format::Tsv => Source::Csv(Box::new(delimited::CsvSource::open(
            path,
            file,
            opts.delimiter.unwrap_or(b'\t'),
            &opts,
        )?)),
        Format::JsonLines => Source::Json(Box::new(jsonl::JsonSource::open(path, file, &opts)?)),
        Format::Xlsx => Source::Xlsx(Box::new(xlsx::XlsxSource::open(
            path,
            file,
            total.unwrap_or(0),
            &opts,
        )?)),
        Format::Parquet => Source::Parquet(Box::new(parquet_read::ParquetSource::open(
            path,
            file,
            total.unwrap_or(0),
            &opts,
        )?)),
    };
    Ok(TableReader {
        format,
        total,
        source,
    })
}

impl TableReader {
    /// Reads `readers` one after another as one table. They must have the same columns (names
    /// and types, in order); `label` names the whole in errors. An empty list is an error.
    pub fn concat(label: &str, readers: Vec<TableReader>) -> Result<TableReader, TableError> {
        let Some(first) = readers.first() else {
            return Err(TableError::Empty {
                file: label.to_string(),
                what: "no parts",
            });
        };
        let schema = first.schema();
        if let Some(i) = readers
            .iter()
            .position(|r| !same_columns(&r.schema(), &schema))
        {
            return Err(TableError::MixedParts {
                file: label.to_string(),
                part: i + 1,
            });
        }
        let format = first.format;
        let total = readers.iter().map(|r| r.total).sum();
        Ok(TableReader {
            format,
            total,
            source: Source::Chain(Box::new(Chain {
                schema,
                readers: readers.into(),
                bytes_done: 0,
            })),
        })
    }

    /// Schema of every batch this reader yields.
    pub fn schema(&self) -> SchemaRef {
        match &self.source {
            Source::Csv(s) => s.schema(),
            Source::Json(s) => s.schema(),
            Source::Xlsx(s) => s.schema(),
            Source::Parquet(s) => s.schema(),
            Source::Chain(c) => c.schema.clone(),
        }
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Text encoding in use ("UTF-8" or "GB18030") for CSV, TSV and JSON
    /// Lines; `None` for binary formats.
    pub fn encoding(&self) -> Option<&'static str> {
        match &self.source {
            Source::Csv(s) => Some(s.encoding()),
            Source::Json(s) => Some(s.encoding()),
            Source::Xlsx(_) | Source::Parquet(_) => None,
            Source::Chain(c) => c.readers.front().and_then(|r| r.encoding()),
        }
    }

    /// Input bytes consumed so far, for progress bars. Exact for text
    /// formats (includes read-ahead of up to 64 KiB); estimated from rows
    /// for XLSX and Parquet, whose readers do not expose byte positions.
    pub fn bytes_read(&self) -> u64 {
        match &self.source {
            Source::Csv(s) => s.bytes_read(),
            Source::Json(s) => s.bytes_read(),
            Source::Xlsx(s) => s.bytes_read(),
            Source::Parquet(s) => s.bytes_read(),
            Source::Chain(c) => c.bytes_done + c.readers.front().map_or(0, |r| r.bytes_read()),
        }
    }

    /// Size of the input file, when it is a regular file.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total
    }
}

impl Iterator for TableReader {
    type Item = Result<RecordBatch, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Csv(s) => s.next_batch(),
            Source::Json(s) => s.next_batch(),
            Source::Xlsx(s) => s.next_batch(),
            Source::Parquet(s) => s.next_batch(),
            Source::Chain(c) => loop {
                let reader = c.readers.front_mut()?;
                match reader.next() {
                    Some(item) => return Some(item),
                    None => {
                        c.bytes_done += reader.bytes_read();
                        c.readers.pop_front();
                    }
                }
            },
        }
    }
}

impl fmt::Debug for TableReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableReader")
            .field("format", &self.format)
            .field("total_bytes", &self.total)
            .field("bytes_read", &self.bytes_read())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_writers_and_errors_cross_threads() {
        fn assert_send<T: Send>() {}
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send::<TableReader>();
        assert_send::<TableWriter>();
        assert_send_sync::<TableError>();
    }

    #[test]
    fn format_from_path_and_name() {
        assert_eq!(
            Format::from_path(Path::new("a/B.CSV")).unwrap(),
            Format::Csv
        );
        assert_eq!(Format::from_path(Path::new("x.tab")).unwrap(), Format::Tsv);
        assert_eq!(
            Format::from_path(Path::new("x.xlsm")).unwrap(),
            Format::Xlsx
        );
        assert_eq!(
            Format::from_path(Path::new("x.ndjson")).unwrap(),
            Format::JsonLines
        );
        assert_eq!(
            Format::from_path(Path::new("x.pq")).unwrap(),
            Format::Parquet
        );
        let err = Format::from_path(Path::new("notes.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("notes.txt: unknown table format"), "{err}");
        for f in [
            Format::Csv,
            Format::Tsv,
            Format::Xlsx,
            Format::JsonLines,
            Format::Parquet,
        ] {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        assert!("xls".parse::<Format>().is_err());
    }
}
