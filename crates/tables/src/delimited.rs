//! CSV and TSV reading (all columns as nullable Utf8).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use csv::StringRecord;

use crate::batch::{StringBatchBuilder, string_schema, unique_column_names};
use crate::decode::{DecodingReader, map_read_error};
use crate::error::{LimitFailure, TableError, file_label, one_line};
use crate::{ReadLimits, ReadOptions};

/// Sits between the decoder and the csv parser and stops a record from
/// growing past [`ReadLimits::max_record_bytes`] while it is being read.
///
/// The parser only asks for more input once it has consumed everything it
/// was given, so every byte delivered since the end of the last complete
/// record belongs to the record in progress (or to blank lines before it).
/// Refusing to deliver more once that exceeds the limit bounds the parser's
/// record buffer to the limit plus one read buffer (8 KiB).
struct RecordGuard<R> {
    inner: R,
    /// Bytes handed to the parser so far.
    delivered: u64,
    /// Byte offset (in the parser's input) where the record in progress began.
    record_start: u64,
    /// Line on which the record in progress began.
    record_line: u64,
    max: u64,
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.delivered.saturating_sub(self.record_start) > self.max {
            return Err(record_too_long(self.record_line, self.max).into_io());
        }
        let n = self.inner.read(buf)?;
        self.delivered += n as u64;
        Ok(n)
    }
}

fn record_too_long(line: u64, max: u64) -> LimitFailure {
    LimitFailure::bytes(
        format!("line {line}"),
        "record is too long",
        "ReadLimits::max_record_bytes",
        max,
    )
}

/// Streaming CSV/TSV source: one record in memory at a time, plus the batch
/// being built.
pub(crate) struct CsvSource {
    path: PathBuf,
    file: String,
    reader: csv::Reader<RecordGuard<DecodingReader<File>>>,
    limits: ReadLimits,
    builder: StringBatchBuilder,
    /// First data record when there is no header row (it was read to learn
    /// the column count).
    pending: Option<StringRecord>,
    record: StringRecord,
    columns: usize,
    schema: SchemaRef,
    /// Input exhausted; the builder may still hold a final partial batch.
    eof: bool,
    /// Nothing more will be returned (end of input or an error was reported).
    done: bool,
}

fn csv_error(path: &Path, err: csv::Error) -> TableError {
    let line = err.position().map_or(0, csv::Position::line);
    let message = one_line(&err.to_string());
    match err.into_kind() {
        csv::ErrorKind::Io(e) => map_read_error(path, e),
        _ => TableError::Csv {
            file: file_label(path),
            line,
            message,
        },
    }
}

impl CsvSource {
    /// Reads the header (or first record) so the schema is known up front.
    pub(crate) fn open(
        path: &Path,
        file: File,
        delimiter: u8,
        opts: &ReadOptions,
    ) -> Result<CsvSource, TableError> {
        let decoder =
            DecodingReader::new(file, opts.encoding).map_err(|e| map_read_error(path, e))?;
        let label = file_label(path);
        if decoder.input_is_empty() {
            return Err(TableError::Empty {
                file: label,
                what: "no header",
            });
        }
        // Field counts are checked by us (flexible) so the error can say what
        // was expected; headers are handled by us to control naming.
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(RecordGuard {
                inner: decoder,
                delivered: 0,
                record_start: 0,
                record_line: 1,
                max: opts.limits.max_record_bytes,
            });
        let mut first = StringRecord::new();
        let got = read_checked(&mut reader, &mut first, &opts.limits)
            .map_err(|e| e.into_table_error(path))?;
        if !got {
            return Err(TableError::Empty {
                file: label,
                what: "no header",
            });
        }
        let columns = first.len();
        let (names, pending): (Vec<String>, _) = if opts.has_header {
            (
                unique_column_names(first.iter().map(|s| Some(s.to_string()))),
                None,
            )
        } else {
            (unique_column_names((0..columns).map(|_| None)), Some(first))
        };
        let schema = string_schema(names);
        Ok(CsvSource {
            path: path.to_path_buf(),
            file: label,
            reader,
            limits: opts.limits,
            builder: StringBatchBuilder::new(schema.clone(), opts.batch_size),
            pending,
            record: StringRecord::new(),
            columns,
            schema,
            eof: false,
            done: false,
        })
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub(crate) fn encoding(&self) -> &'static str {
        self.reader.get_ref().inner.encoding_name()
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.get_ref().inner.bytes_read()
    }

    fn push(&mut self, record_is_pending: bool) -> Result<(), TableError> {
        let record = if record_is_pending {
            match &self.pending {
                Some(r) => r,
                None => return Ok(()),
            }
        } else {
            &self.record
        };
        if record.len() != self.columns {
            return Err(TableError::FieldCount {
                file: self.file.clone(),
                line: record.position().map_or(0, csv::Position::line),
                expected: self.columns,
                found: record.len(),
            });
        }
        self.builder.append_row(record.iter().map(Some));
        Ok(())
    }

    /// Reads up to one batch. `None` at end of input.
    pub(crate) fn next_batch(&mut self) -> Option<Result<RecordBatch, TableError>> {
        if self.done {
            return None;
        }
        let filled = self.fill();
        self.builder.next_batch(filled, &mut self.done, &self.file)
    }

    fn fill(&mut self) -> Result<(), TableError> {
        if self.pending.is_some() {
            self.push(true)?;
            self.pending = None;
        }
        while !self.eof && self.builder.rows() < self.builder.batch_size() {
            let got = read_checked(&mut self.reader, &mut self.record, &self.limits)
                .map_err(|e| e.into_table_error(&self.path))?;
            if !got {
                self.eof = true;
                break;
            }
            self.push(false)?;
        }
        Ok(())
    }
}

/// Why [`read_checked`] failed: the parser's error or a limit.
enum ReadFailure {
    Csv(csv::Error),
    Limit(LimitFailure),
}

impl ReadFailure {
    fn into_table_error(self, path: &Path) -> TableError {
        match self {
            ReadFailure::Csv(e) => csv_error(path, e),
            ReadFailure::Limit(f) => f.into_error(file_label(path)),
        }
    }
}

/// Reads one record and enforces the record and field limits on it.
fn read_checked(
    reader: &mut csv::Reader<RecordGuard<DecodingReader<File>>>,
    record: &mut StringRecord,
    limits: &ReadLimits,
) -> Result<bool, ReadFailure> {
    let got = reader.read_record(record).map_err(ReadFailure::Csv)?;
    let end = reader.position().clone();
    let guard = reader.get_mut();
    // The guard stops records far over the limit while they are read; this
    // exact check catches the ones that completed inside the last buffer.
    let len = end.byte().saturating_sub(guard.record_start);
    let start_line = guard.record_line;
    guard.record_start = end.byte();
    guard.record_line = end.line();
    if !got {
        return Ok(false);
    }
    let line = record.position().map_or(start_line, csv::Position::line);
    if len > limits.max_record_bytes {
        return Err(ReadFailure::Limit(record_too_long(
            line,
            limits.max_record_bytes,
        )));
    }
    if let Some((i, field)) = record
        .iter()
        .enumerate()
        .find(|(_, f)| f.len() as u64 > limits.max_field_bytes)
    {
        return Err(ReadFailure::Limit(LimitFailure::bytes(
            format!("line {line}, column {}", i + 1),
            format!("field is {} bytes long", field.len()),
            "ReadLimits::max_field_bytes",
            limits.max_field_bytes,
        )));
    }
    Ok(true)
}
