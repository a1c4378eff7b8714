//! CSV and TSV reading (all columns as nullable Utf8).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use csv::StringRecord;

use crate::ReadOptions;
use crate::batch::{StringBatchBuilder, string_schema, unique_column_names};
use crate::decode::{DecodingReader, map_read_error};
use crate::error::{TableError, file_label, one_line};

/// Streaming CSV/TSV source: one record in memory at a time, plus the batch
/// being built.
pub(crate) struct CsvSource {
    path: PathBuf,
    file: String,
    reader: csv::Reader<DecodingReader<File>>,
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
            .from_reader(decoder);
        let mut first = StringRecord::new();
        let got = reader
            .read_record(&mut first)
            .map_err(|e| csv_error(path, e))?;
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
        self.reader.get_ref().encoding_name()
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.get_ref().bytes_read()
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
            let got = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| csv_error(&self.path, e))?;
            if !got {
                self.eof = true;
                break;
            }
            self.push(false)?;
        }
        Ok(())
    }
}
