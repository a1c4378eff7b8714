//! The frequency table of a table's quasi-identifiers as one DataFusion aggregate: each distinct
//! combination of the columns with its record count. The anonymization search runs on this, so
//! its cost follows distinct combinations; the pass itself is a plain GROUP BY that a cluster
//! can run partition by partition.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::{SessionContext, cast, col, lit};
use futures::StreamExt;
use pubdata_tables::TableReader;

use crate::source::{SourceError, reader_table};

/// What the aggregate needs and can fail on.
#[derive(Debug, thiserror::Error)]
pub enum FreqError {
    /// A column named is not in the table.
    #[error("the table has no column {0:?}")]
    MissingColumn(String),
    /// The source could not be registered.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// DataFusion failed, or the reader did.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// Groups `reader`'s rows by `columns` (values as text, NULL as the empty string) and calls
/// `each` with every combination and its count. `rows_read` counts input rows as they stream.
pub async fn group_counts(
    ctx: &SessionContext,
    reader: TableReader,
    columns: &[String],
    rows_read: Arc<AtomicU64>,
    mut each: impl FnMut(&[&str], u64),
) -> Result<(), FreqError> {
    let schema = reader.schema();
    for c in columns {
        if schema.index_of(c).is_err() {
            return Err(FreqError::MissingColumn(c.clone()));
        }
    }
    let table = reader_table(reader, rows_read)?;
    let frame = ctx.read_table(table)?;
    // Names are quoted by `col` only through `ident`-style lookups; use the field directly.
    let keys: Vec<_> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            datafusion::functions::expr_fn::coalesce(vec![
                cast(datafusion::prelude::ident(c), DataType::Utf8),
                lit(""),
            ])
            .alias(format!("k{i}"))
        })
        .collect();
    let frame = frame.select(keys)?;
    let group: Vec<_> = (0..columns.len()).map(|i| col(format!("k{i}"))).collect();
    let frame = frame.aggregate(group, vec![count(lit(1)).alias("n")])?;
    let mut stream = frame.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch: RecordBatch = batch?;
        let keys: Vec<_> = (0..columns.len())
            .map(|i| batch.column(i).as_string::<i32>())
            .collect();
        let counts = batch.column(columns.len()).as_primitive::<Int64Type>();
        let mut row: Vec<&str> = Vec::with_capacity(columns.len());
        for r in 0..batch.num_rows() {
            row.clear();
            for k in &keys {
                row.push(if k.is_null(r) { "" } else { k.value(r) });
            }
            each(&row, counts.value(r) as u64);
        }
    }
    Ok(())
}

/// Rows read so far through a counter made for [`group_counts`].
pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}
