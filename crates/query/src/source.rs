//! A table read by `pubdata-tables` (any format and encoding it reads) as a DataFusion table
//! that streams: batches flow into the plan as the reader produces them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use pubdata_tables::TableReader;

/// The column holding each row's 1-based data-row number, so errors can name the input row.
pub const ROW_COLUMN: &str = "__pd_row";

/// One pass over a reader. DataFusion asks a partition for its stream once per execution; a
/// second execution of the same plan finds the reader taken and gets an error, not silent
/// empty output.
struct ReaderPartition {
    schema: SchemaRef,
    reader: Mutex<Option<TableReader>>,
    rows_read: Arc<AtomicU64>,
}

impl std::fmt::Debug for ReaderPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderPartition")
            .field("schema", &self.schema)
            .finish()
    }
}

impl PartitionStream for ReaderPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take();
        let schema = self.schema.clone();
        let mut next_row = 1u64;
        let rows_read = self.rows_read.clone();
        let batches: Box<dyn Iterator<Item = Result<RecordBatch, DataFusionError>> + Send> =
            match taken {
                None => Box::new(std::iter::once(Err(DataFusionError::Execution(
                    "the input table was already read by an earlier run of this plan".into(),
                )))),
                Some(reader) => {
                    let schema = schema.clone();
                    Box::new(reader.map(move |batch| {
                        let batch = batch.map_err(|e| DataFusionError::External(Box::new(e)))?;
                        let n = batch.num_rows() as u64;
                        let rows: ArrayRef =
                            Arc::new(UInt64Array::from_iter_values(next_row..next_row + n));
                        next_row += n;
                        rows_read.fetch_add(n, Ordering::Relaxed);
                        let mut columns = batch.columns().to_vec();
                        columns.push(rows);
                        Ok(RecordBatch::try_new(schema.clone(), columns)?)
                    }))
                }
            };
        // Reading is synchronous file I/O; one partition on a small runtime is what the CLI
        // runs, so it stays on the executor thread instead of a blocking pool.
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::iter(batches),
        ))
    }
}

/// Errors making a table of a reader.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The table already has a column named like the row-number column.
    #[error("the table has a column named {ROW_COLUMN}, which pubdata uses for row numbers")]
    RowColumnTaken,
    /// DataFusion refused the table.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// A streaming table over `reader`, with [`ROW_COLUMN`] appended; `rows_read` counts the rows
/// that went into the plan.
pub fn reader_table(
    reader: TableReader,
    rows_read: Arc<AtomicU64>,
) -> Result<Arc<StreamingTable>, SourceError> {
    let base = reader.schema();
    if base.index_of(ROW_COLUMN).is_ok() {
        return Err(SourceError::RowColumnTaken);
    }
    let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(ROW_COLUMN, DataType::UInt64, false));
    let schema = Arc::new(Schema::new(fields));
    let partition = ReaderPartition {
        schema: schema.clone(),
        reader: Mutex::new(Some(reader)),
        rows_read,
    };
    Ok(Arc::new(StreamingTable::try_new(
        schema,
        vec![Arc::new(partition)],
    )?))
}
