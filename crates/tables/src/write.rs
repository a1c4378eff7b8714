//! Atomic table writers (CSV, TSV, Parquet) and the string-cast helper.
//!
//! Output goes to a hidden temporary file next to the target and is renamed
//! onto it only by [`TableWriter::finish`]; a rename within one directory is
//! atomic, so readers never see a half-written table.

use std::fs::File;
use std::io::BufWriter;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::Format;
use crate::error::{TableError, file_label, one_line};

enum Sink {
    Text(Box<csv::Writer<BufWriter<File>>>),
    Parquet(Box<ArrowWriter<File>>),
}

/// Writes record batches to a CSV, TSV or Parquet file, atomically.
///
/// Dropping a writer without calling [`finish`](Self::finish), or any error,
/// removes the temporary file and leaves `path` untouched.
pub struct TableWriter {
    path: PathBuf,
    /// Removes the temporary file when dropped; taken by a successful finish.
    tmp: Option<tempfile::TempPath>,
    file: String,
    sink: Option<Sink>,
    columns: usize,
    rows: u64,
}

impl TableWriter {
    /// Creates the temporary file `.{name}.XXXXXX.tmp` beside `path` and
    /// writes the header (CSV/TSV). Xlsx and JSON Lines are not writable.
    pub fn create(
        path: &Path,
        format: Format,
        schema: SchemaRef,
    ) -> Result<TableWriter, TableError> {
        let label = file_label(path);
        let write_err = |message: String| TableError::Write {
            file: label.clone(),
            message,
        };
        if !matches!(format, Format::Csv | Format::Tsv | Format::Parquet) {
            return Err(write_err(format!(
                "writing {} is not supported (use csv, tsv or parquet)",
                format.name()
            )));
        }
        let name = path
            .file_name()
            .ok_or_else(|| write_err("path has no file name".into()))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Readable as any file the user writes (the umask applies), not tempfile's 0600.
        let (out, tmp) = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".tmp")
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(&dir)
            .map_err(|e| TableError::Open {
                file: file_label(&dir),
                source: e,
            })?
            .into_parts();
        let mut writer = TableWriter {
            path: path.to_path_buf(),
            tmp: Some(tmp),
            file: label.clone(),
            sink: None,
            columns: schema.fields().len(),
            rows: 0,
        };
        // From here on, `writer`'s Drop removes the temp file on any error.
        writer.sink = Some(match format {
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .build();
                let w = ArrowWriter::try_new(out, schema, Some(props))
                    .map_err(|e| write_err(one_line(&e.to_string())))?;
                Sink::Parquet(Box::new(w))
            }
            _ => {
                let delimiter = if format == Format::Tsv { b'\t' } else { b',' };
                let mut w = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(BufWriter::new(out));
                w.write_record(schema.fields().iter().map(|f| f.name().as_str()))
                    .map_err(|e| writer.csv_error(e))?;
                Sink::Text(Box::new(w))
            }
        });
        Ok(writer)
    }

    fn csv_error(&self, e: csv::Error) -> TableError {
        let message = one_line(&e.to_string());
        match e.into_kind() {
            csv::ErrorKind::Io(source) => TableError::Io {
                file: self.file.clone(),
                action: "write",
                source,
            },
            _ => TableError::Write {
                file: self.file.clone(),
                message,
            },
        }
    }

    fn write_error(&self, message: String) -> TableError {
        TableError::Write {
            file: self.file.clone(),
            message: one_line(&message),
        }
    }

    /// Appends one batch; its columns must match the schema given to `create`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), TableError> {
        let result = self.write_inner(batch);
        if result.is_err() {
            self.abort();
        }
        result
    }

    fn write_inner(&mut self, batch: &RecordBatch) -> Result<(), TableError> {
        if batch.num_columns() != self.columns {
            return Err(self.write_error(format!(
                "batch has {} columns, schema has {}",
                batch.num_columns(),
                self.columns
            )));
        }
        match self.sink.as_mut() {
            None => return Err(self.write_error("writer already failed".into())),
            Some(Sink::Parquet(w)) => {
                if let Err(e) = w.write(batch) {
                    return Err(self.write_error(e.to_string()));
                }
            }
            Some(Sink::Text(_)) => {
                let columns = batch
                    .columns()
                    .iter()
                    .map(cast_to_utf8)
                    .collect::<Result<Vec<_>, _>>()?;
                let mut record = csv::StringRecord::with_capacity(256, columns.len());
                for row in 0..batch.num_rows() {
                    record.clear();
                    for col in &columns {
                        record.push_field(if col.is_null(row) { "" } else { col.value(row) });
                    }
                    let res = match self.sink.as_mut() {
                        Some(Sink::Text(w)) => w.write_record(&record),
                        _ => Ok(()),
                    };
                    res.map_err(|e| self.csv_error(e))?;
                }
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Flushes, syncs and renames the temporary file onto the target path.
    /// Returns the number of data rows written.
    pub fn finish(mut self) -> Result<u64, TableError> {
        let result = self.finish_inner();
        if result.is_err() {
            self.abort();
        }
        result
    }

    fn finish_inner(&mut self) -> Result<u64, TableError> {
        let io_err = |file: &str, source| TableError::Io {
            file: file.to_string(),
            action: "write",
            source,
        };
        let file = match self.sink.take() {
            None => return Err(self.write_error("writer already failed".into())),
            Some(Sink::Text(w)) => {
                let buf = w
                    .into_inner()
                    .map_err(|e| self.write_error(e.error().to_string()))?;
                buf.into_inner()
                    .map_err(|e| self.write_error(e.error().to_string()))?
            }
            Some(Sink::Parquet(mut w)) => {
                w.finish().map_err(|e| self.write_error(e.to_string()))?;
                w.inner().try_clone().map_err(|e| io_err(&self.file, e))?
            }
        };
        // Durable before visible: a crash must not leave a renamed-but-empty file.
        file.sync_all().map_err(|e| io_err(&self.file, e))?;
        drop(file);
        let tmp = self
            .tmp
            .take()
            .ok_or_else(|| self.write_error("writer already finished".into()))?;
        tmp.persist(&self.path)
            .map_err(|e| io_err(&self.file, e.error))?;
        Ok(self.rows)
    }

    /// Drops the output and deletes the temporary file.
    fn abort(&mut self) {
        self.sink = None;
        self.tmp = None;
    }
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("path", &self.path)
            .field("tmp", &self.tmp.as_deref())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Drop for TableWriter {
    fn drop(&mut self) {
        // After a successful finish there is nothing left to remove.
        self.abort();
    }
}

/// Renders any Arrow column as a nullable UTF-8 string column.
///
/// Uses `arrow_cast::cast` (which covers Utf8, LargeUtf8, Utf8View, numbers,
/// dates, ...) and falls back to `arrow_cast::display` for types cast does not
/// support (e.g. lists, structs). Nulls stay null.
pub fn cast_to_utf8(array: &ArrayRef) -> Result<StringArray, TableError> {
    if let Some(s) = array.as_any().downcast_ref::<StringArray>() {
        return Ok(s.clone());
    }
    if let Ok(cast) = arrow_cast::cast(array, &DataType::Utf8)
        && let Some(s) = cast.as_any().downcast_ref::<StringArray>()
    {
        return Ok(s.clone());
    }
    let cast_err = |e: arrow_schema::ArrowError| TableError::Cast {
        data_type: array.data_type().to_string(),
        message: one_line(&e.to_string()),
    };
    let formatter =
        ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()).map_err(cast_err)?;
    let mut out = StringBuilder::with_capacity(array.len(), array.len() * 8);
    let mut text = String::new();
    for i in 0..array.len() {
        if array.is_null(i) {
            out.append_null();
        } else {
            text.clear();
            formatter.value(i).write(&mut text).map_err(cast_err)?;
            out.append_value(&text);
        }
    }
    Ok(out.finish())
}
