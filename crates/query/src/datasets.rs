//! Read-only SQL over dataset versions: each version's Parquet parts as one streaming table (a
//! partition per part, opened when the plan runs), queried with DDL, DML and statements refused.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType as ArrowDataType, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt};

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, DataFusionError>> + Send>;

fn external(e: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// A part that cannot be read. Its message names the part as versions list it; the cause (which
/// may name the server's folders) is kept for the server's log, out of the message.
#[derive(Debug)]
pub struct PartError {
    /// The part, relative to the location.
    pub part: String,
    /// What failed, for the log.
    pub cause: String,
}

impl std::fmt::Display for PartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dataset part {} cannot be read", self.part)
    }
}

impl std::error::Error for PartError {}

fn part_error(part: &ObjectPath, cause: impl std::fmt::Display) -> DataFusionError {
    external(PartError {
        part: part.to_string(),
        cause: cause.to_string(),
    })
}

/// One Parquet part in an object store, read afresh each time a plan runs.
#[derive(Debug)]
struct Part {
    schema: SchemaRef,
    objects: Arc<dyn ObjectStore>,
    path: ObjectPath,
    scratch: PathBuf,
}

/// Batches of a part that has a local file (a local location, or a copy of a remote part, kept
/// until the batches are dropped).
struct LocalPart {
    part: ObjectPath,
    batches: pubdata_tables::TableReader,
    _copy: Option<tempfile::NamedTempFile>,
}

impl Iterator for LocalPart {
    type Item = Result<RecordBatch, DataFusionError>;
    fn next(&mut self) -> Option<Self::Item> {
        let part = &self.part;
        self.batches
            .next()
            .map(|b| b.map_err(|e| part_error(part, e)))
    }
}

/// A part as a local file: a local location's own file, or a temporary copy in `scratch` of
/// anything else (kept while the returned handle lives), since the Parquet reader needs to seek.
async fn local_file(
    objects: &Arc<dyn ObjectStore>,
    path: &ObjectPath,
    scratch: &std::path::Path,
) -> Result<(PathBuf, Option<tempfile::NamedTempFile>), DataFusionError> {
    let fail = |e: &dyn std::fmt::Display| part_error(path, e);
    let got = objects.get(path).await.map_err(|e| fail(&e))?;
    Ok(match got.payload {
        GetResultPayload::File(_, file) => (file, None),
        GetResultPayload::Stream(mut bytes) => {
            let mut copy = tempfile::NamedTempFile::new_in(scratch).map_err(|e| fail(&e))?;
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk.map_err(|e| fail(&e))?;
                std::io::Write::write_all(&mut copy, &chunk).map_err(|e| fail(&e))?;
            }
            (copy.path().to_path_buf(), Some(copy))
        }
    })
}

/// Opens a part: a local file is read in place; anything else is first copied to a temporary
/// file in `scratch`, since the Parquet reader needs to seek.
async fn open_part(
    objects: Arc<dyn ObjectStore>,
    path: ObjectPath,
    scratch: PathBuf,
    expected: Option<SchemaRef>,
) -> Result<Batches, DataFusionError> {
    let fail = |e: &dyn std::fmt::Display| part_error(&path, e);
    let (file, copy) = local_file(&objects, &path, &scratch).await?;
    // Parts are the platform's own files, written after the upload's checks: the limits that
    // guard against hostile uploads (a 1 GiB row group) would only make large datasets unreadable.
    let opts = pubdata_tables::ReadOptions {
        format: Some(pubdata_tables::Format::Parquet),
        limits: pubdata_tables::ReadLimits::unlimited(),
        ..Default::default()
    };
    let batches = pubdata_tables::open(&file, &opts).map_err(|e| fail(&e))?;
    // A part written under other data items than the table was registered with would hand
    // DataFusion arrays of the wrong type (it panicked on them): refuse it by name instead.
    if let Some(expected) = expected
        && !pubdata_tables::same_columns(&batches.schema(), &expected)
    {
        return Err(external(MixedSchemas {
            part: path.to_string(),
        }));
    }
    Ok(Box::new(LocalPart {
        part: path.clone(),
        batches,
        _copy: copy,
    }))
}

/// A part whose columns differ from the other parts of its version.
#[derive(Debug, thiserror::Error)]
#[error(
    "dataset part {part} was written under other data items than the version's first part; \
     query the versions before and after the change separately"
)]
pub struct MixedSchemas {
    /// The part, relative to the location.
    pub part: String,
}

impl PartitionStream for Part {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let opened = open_part(
            self.objects.clone(),
            self.path.clone(),
            self.scratch.clone(),
            Some(self.schema.clone()),
        );
        let batches = futures::stream::once(opened).flat_map(|r| {
            let batches: Batches = match r {
                Ok(b) => b,
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
            futures::stream::iter(batches)
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}

/// A dataset version to expose as a table.
#[derive(Debug, Clone)]
pub struct DatasetTable {
    /// The table's name in SQL.
    pub name: String,
    /// The schema every part has.
    pub schema: SchemaRef,
    /// The location of the parts.
    pub objects: Arc<dyn ObjectStore>,
    /// The parts' paths in `objects`.
    pub parts: Vec<ObjectPath>,
    /// A local folder for copies of parts that are not local files.
    pub scratch: PathBuf,
}

/// What a query returned: column names and types, and rows of JSON values, at most `limit` rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Column types, named as catalog items' are where one fits (`integer`, `decimal`, `text`,
    /// `date`, `timestamp`, `boolean`), else Arrow's name.
    pub types: Vec<String>,
    /// Rows: numbers and booleans as JSON numbers and booleans, nulls as null, anything else as
    /// its display text.
    pub rows: Vec<Vec<serde_json::Value>>,
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

/// `sql` as the parser read it, without comments, whitespace normalized and every literal value
/// replaced by `?`: what the audit log records. A long comment cannot push the statement out of
/// the entry, and a value searched for (`WHERE id_number = '…'`) never enters the append-only log.
pub fn normalized_sql(sql: &str) -> Result<String, QueryError> {
    use datafusion::sql::parser::Statement as DfStatement;
    use datafusion::sql::sqlparser::ast::{Expr, Value, visit_expressions_mut};
    use std::ops::ControlFlow;
    let state = SessionContext::new().state();
    let dialect = state.config().options().sql_parser.dialect;
    let mut statement = state.sql_to_statement(sql, &dialect)?;
    if let DfStatement::Statement(s) = &mut statement {
        let _ = visit_expressions_mut(&mut **s, |e| {
            if let Expr::Value(v) = e
                && !matches!(v.value, Value::Null | Value::Boolean(_))
            {
                v.value = Value::Placeholder("?".into());
            }
            ControlFlow::<()>::Continue(())
        });
    }
    Ok(statement.to_string())
}

/// What a query reads: the dataset tables it names (each as written, unqualified), and whether
/// it reads `information_schema`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct References {
    /// Dataset table names, sorted, without duplicates.
    pub tables: Vec<String>,
    /// Whether it names an `information_schema` view (which then lists every table the caller
    /// may read, so those must be registered).
    pub information_schema: bool,
}

/// What `sql` reads, so that only those datasets are looked up and registered.
pub fn referenced_tables(sql: &str) -> Result<References, QueryError> {
    let state = SessionContext::new().state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect)?;
    let mut refs = References::default();
    for r in state.resolve_table_references(&statement)? {
        if r.schema()
            .is_some_and(|s| s.eq_ignore_ascii_case(INFORMATION_SCHEMA))
        {
            refs.information_schema = true;
        } else {
            refs.tables.push(r.table().to_string());
        }
    }
    refs.tables.sort();
    refs.tables.dedup();
    Ok(refs)
}

const INFORMATION_SCHEMA: &str = "information_schema";

/// What an answer's cell costs beside its text, counted against [`QueryLimits::bytes`].
const CELL_OVERHEAD: usize = 24;

/// What one query may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Rows returned at most (more: `truncated`).
    pub rows: usize,
    /// Bytes of value text returned at most (more: `truncated`).
    pub bytes: usize,
    /// Memory the plan's operators may hold (sorts, joins, aggregates); more is an error.
    pub memory: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            rows: 1000,
            bytes: 16 << 20,
            memory: 512 << 20,
        }
    }
}

/// A session over `tables` whose operators hold at most `memory` bytes and never spill, with
/// the unkeyed operators as SQL functions.
pub fn context(tables: &[DatasetTable], memory: usize) -> Result<SessionContext, QueryError> {
    // No spilling: past the memory limit a query fails, instead of writing up to 100 GB of
    // spill files into the OS temporary folder.
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(memory, 1.0)
        .with_disk_manager_builder(
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
        )
        .build_arc()?;
    // information_schema lists what this session has registered, and nothing else: the caller
    // registers every table it may read when a query names it.
    let config = SessionConfig::new().with_information_schema(true);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    // The operators as SQL functions (pd_mask, pd_generalize, pd_redact ...), without a key: the
    // server holds none for the authority's queries, so the keyed ones are not there.
    if let Some(today) = pubdata_deid::transform::dates::Date::today() {
        crate::sql_udf::register_udfs(&ctx, None, today);
    }
    for t in tables {
        let parts: Vec<Arc<dyn PartitionStream>> = t
            .parts
            .iter()
            .map(|p| {
                Arc::new(Part {
                    schema: t.schema.clone(),
                    objects: t.objects.clone(),
                    path: p.clone(),
                    scratch: t.scratch.clone(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        ctx.register_table(
            t.name.as_str(),
            Arc::new(StreamingTable::try_new(t.schema.clone(), parts)?),
        )?;
    }
    Ok(ctx)
}

/// Runs one read-only `sql` over `tables` within `limits`.
pub async fn query_datasets(
    tables: &[DatasetTable],
    sql: &str,
    limits: &QueryLimits,
) -> Result<QueryResult, QueryError> {
    let ctx = context(tables, limits.memory)?;
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
    let types: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| type_name(f.data_type()))
        .collect();
    let mut stream = frame.execute_stream().await?;
    let mut rows = Vec::new();
    let mut truncated = false;
    let mut bytes = 0usize;
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
            if rows.len() == limits.rows {
                truncated = true;
                break;
            }
            let row: Vec<serde_json::Value> = batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(c, f)| json_value(c.as_ref(), r, f))
                .collect();
            // Every cell costs its text and about 24 bytes of bookkeeping, null or not.
            bytes += row
                .iter()
                .map(|c| {
                    CELL_OVERHEAD
                        + match c {
                            serde_json::Value::String(s) => s.len(),
                            serde_json::Value::Number(_) => 20,
                            _ => 5,
                        }
                })
                .sum::<usize>();
            if bytes > limits.bytes {
                truncated = true;
                break;
            }
            rows.push(row);
        }
        if truncated {
            break;
        }
    }
    Ok(QueryResult {
        columns,
        types,
        rows,
        truncated,
    })
}

/// A column type as the catalog names its items' types where one fits.
pub fn type_name(t: &ArrowDataType) -> String {
    use ArrowDataType as T;
    match t {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64 => {
            "integer".into()
        }
        T::Float16 | T::Float32 | T::Float64 | T::Decimal128(..) | T::Decimal256(..) => {
            "decimal".into()
        }
        T::Utf8 | T::LargeUtf8 | T::Utf8View => "text".into(),
        T::Date32 | T::Date64 => "date".into(),
        T::Timestamp(..) => "timestamp".into(),
        T::Boolean => "boolean".into(),
        other => other.to_string(),
    }
}

/// One cell as JSON: integers, finite floats and booleans as themselves, null as null, the rest
/// (dates, decimals, text, NaN) as the text Arrow displays.
pub fn json_value(
    column: &dyn Array,
    row: usize,
    text: &datafusion::arrow::util::display::ArrayFormatter<'_>,
) -> serde_json::Value {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes as dt;
    use serde_json::Value;
    if column.is_null(row) {
        return Value::Null;
    }
    let float = |v: f64| {
        serde_json::Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number)
    };
    match column.data_type() {
        ArrowDataType::Boolean => Value::Bool(column.as_boolean().value(row)),
        ArrowDataType::Int8 => column.as_primitive::<dt::Int8Type>().value(row).into(),
        ArrowDataType::Int16 => column.as_primitive::<dt::Int16Type>().value(row).into(),
        ArrowDataType::Int32 => column.as_primitive::<dt::Int32Type>().value(row).into(),
        ArrowDataType::Int64 => column.as_primitive::<dt::Int64Type>().value(row).into(),
        ArrowDataType::UInt8 => column.as_primitive::<dt::UInt8Type>().value(row).into(),
        ArrowDataType::UInt16 => column.as_primitive::<dt::UInt16Type>().value(row).into(),
        ArrowDataType::UInt32 => column.as_primitive::<dt::UInt32Type>().value(row).into(),
        ArrowDataType::UInt64 => column.as_primitive::<dt::UInt64Type>().value(row).into(),
        ArrowDataType::Float32 => float(f64::from(
            column.as_primitive::<dt::Float32Type>().value(row),
        )),
        ArrowDataType::Float64 => float(column.as_primitive::<dt::Float64Type>().value(row)),
        _ => Value::String(text.value(row).to_string()),
    }
}
