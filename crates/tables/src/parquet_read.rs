//! Parquet reading; columns keep their Arrow types.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::metadata::ParquetMetaData;

use crate::ReadOptions;
use crate::error::{LimitFailure, TableError, file_label, one_line, panic_message};

/// Streaming Parquet source (one row group's pages at a time, by the parquet
/// crate's design).
pub(crate) struct ParquetSource {
    file: String,
    reader: ParquetRecordBatchReader,
    schema: SchemaRef,
    total_rows: u64,
    rows_read: u64,
    total_bytes: u64,
    done: bool,
}

impl ParquetSource {
    /// Parses the footer; a non-Parquet or truncated file fails here.
    pub(crate) fn open(
        path: &Path,
        file: File,
        total_bytes: u64,
        opts: &ReadOptions,
    ) -> Result<ParquetSource, TableError> {
        let label = file_label(path);
        let not_parquet = |message: String| TableError::NotParquet {
            file: label.clone(),
            message: one_line(&message),
        };
        // The parquet crate validates hostile metadata, but a panic there must
        // still become an error naming the file rather than abort the caller.
        let built = catch_unwind(AssertUnwindSafe(|| {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| not_parquet(e.to_string()))?;
            check_sizes(builder.metadata(), opts.limits.max_row_group_bytes)
                .map_err(|f| f.into_error(label.clone()))?;
            let total_rows =
                u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
            let reader = builder
                .with_batch_size(opts.batch_size)
                .build()
                .map_err(|e| not_parquet(e.to_string()))?;
            Ok::<_, TableError>((reader, total_rows))
        }));
        let (reader, total_rows) = match built {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => return Err(e),
            Err(payload) => return Err(not_parquet(panic_message(payload.as_ref()))),
        };
        Ok(ParquetSource {
            schema: reader.schema(),
            file: label,
            reader,
            total_rows,
            rows_read: 0,
            total_bytes,
            done: false,
        })
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Estimated from rows decoded: the reader does not expose byte offsets.
    pub(crate) fn bytes_read(&self) -> u64 {
        if self.done || self.total_rows == 0 {
            return if self.done { self.total_bytes } else { 0 };
        }
        let frac = self.rows_read as f64 / self.total_rows as f64;
        ((self.total_bytes as f64) * frac.min(1.0)) as u64
    }

    pub(crate) fn next_batch(&mut self) -> Option<Result<RecordBatch, TableError>> {
        if self.done {
            return None;
        }
        let next = catch_unwind(AssertUnwindSafe(|| self.reader.next()));
        let result = match next {
            Ok(None) => None,
            Ok(Some(Ok(batch))) => {
                self.rows_read += batch.num_rows() as u64;
                return Some(Ok(batch));
            }
            Ok(Some(Err(e))) => Some(Err(TableError::ParquetData {
                file: self.file.clone(),
                message: one_line(&e.to_string()),
            })),
            Err(payload) => Some(Err(TableError::ParquetData {
                file: self.file.clone(),
                message: panic_message(payload.as_ref()),
            })),
        };
        self.done = true;
        result
    }
}

/// Refuses a file whose footer declares a row group or column chunk larger
/// (uncompressed) than `max` bytes, before any data page is read. A negative
/// size is corrupt and refused too.
fn check_sizes(meta: &ParquetMetaData, max: u64) -> Result<(), LimitFailure> {
    let over = |size: i64| u64::try_from(size).map_or(true, |s| s > max);
    let fail = |location: String, size: i64| {
        LimitFailure::bytes(
            location,
            format!("uncompressed size is {size} bytes"),
            "ReadLimits::max_row_group_bytes",
            max,
        )
    };
    for (i, rg) in meta.row_groups().iter().enumerate() {
        if over(rg.total_byte_size()) {
            return Err(fail(format!("row group {i}"), rg.total_byte_size()));
        }
        for col in rg.columns() {
            if over(col.uncompressed_size()) {
                return Err(fail(
                    format!("row group {i}, column {:?}", col.column_path().string()),
                    col.uncompressed_size(),
                ));
            }
        }
    }
    Ok(())
}
