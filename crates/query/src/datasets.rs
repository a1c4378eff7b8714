//! Read-only SQL over dataset versions: each version's Parquet parts as one streaming table (a
//! partition per part, opened when the plan runs), queried with DDL, DML and statements refused.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{SQLOptions, SessionContext};
use futures::StreamExt;

/// One Parquet part, read afresh each time a plan runs.
#[derive(Debug)]
struct Part {
    schema: SchemaRef,
    path: PathBuf,
}

impl PartitionStream for Part {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = self.schema.clone();
        let batches: Box<dyn Iterator<Item = Result<RecordBatch, DataFusionError>> + Send> =
            match pubdata_tables::open(&self.path, &pubdata_tables::ReadOptions::default()) {
                Ok(reader) => {
                    Box::new(reader.map(|b| b.map_err(|e| DataFusionError::External(Box::new(e)))))
                }
                Err(e) => Box::new(std::iter::once(Err(DataFusionError::External(Box::new(e))))),
            };
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::iter(batches),
        ))
    }
}

/// A dataset version to expose as a table.
#[derive(Debug, Clone)]
pub struct DatasetTable {
    /// The table's name in SQL.
    pub name: String,
    /// The schema every part has.
    pub schema: SchemaRef,
    /// The parts' files.
    pub parts: Vec<PathBuf>,
}

/// What a query returned: column names and rows as display text, at most `limit` rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each value as text (`null` as None).
    pub rows: Vec<Vec<Option<String>>>,
    /// Whether more rows existed than were returned.
    pub truncated: bool,
}

/// Errors of a query.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// DataFusion refused or failed the query (the message says where).
    #[error("{0}")]
    DataFusion(#[from] DataFusionError),
    /// A value did not format.
    #[error("{0}")]
    Format(#[from] datafusion::arrow::error::ArrowError),
}

/// Runs one read-only `sql` over `tables`, returning at most `limit` rows.
pub async fn query_datasets(
    tables: &[DatasetTable],
    sql: &str,
    limit: usize,
) -> Result<QueryResult, QueryError> {
    let ctx = SessionContext::new();
    for t in tables {
        let parts: Vec<Arc<dyn PartitionStream>> = t
            .parts
            .iter()
            .map(|p| {
                Arc::new(Part {
                    schema: t.schema.clone(),
                    path: p.clone(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        ctx.register_table(
            t.name.as_str(),
            Arc::new(StreamingTable::try_new(t.schema.clone(), parts)?),
        )?;
    }
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let frame = ctx.sql_with_options(sql, options).await?;
    let columns: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut stream = frame.execute_stream().await?;
    let mut rows = Vec::new();
    let mut truncated = false;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| {
                datafusion::arrow::util::display::ArrayFormatter::try_new(
                    c.as_ref(),
                    &Default::default(),
                )
            })
            .collect::<Result<_, _>>()?;
        for r in 0..batch.num_rows() {
            if rows.len() == limit {
                truncated = true;
                break;
            }
            rows.push(
                batch
                    .columns()
                    .iter()
                    .zip(&formatters)
                    .map(|(c, f)| (!c.is_null(r)).then(|| f.value(r).to_string()))
                    .collect(),
            );
        }
        if truncated {
            break;
        }
    }
    Ok(QueryResult {
        columns,
        rows,
        truncated,
    })
}
