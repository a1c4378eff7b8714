//! Serving a published release's rows: streamed as CSV (UTF-8 with a byte-order mark, so
//! spreadsheet programs read Chinese) or JSON Lines, and searched as CKAN's `datastore_search`
//! does (filters, a text search, fields, sort, limit and offset), as DataFusion plans over the
//! release's Parquet object. Nothing here decides who may read a release: the caller has.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::ArrayFormatter;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr, Like, cast};
use datafusion::prelude::{DataFrame, lit};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::datasets::{DatasetTable, QueryError, context, json_value, type_name};

/// Memory a serving plan's operators may hold (a sort for `datastore_search`).
const MEMORY: usize = 256 << 20;

/// The formats rows are streamed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    /// CSV, UTF-8 with a byte-order mark, a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Every row of `table` in `format`, a chunk per batch: never the whole table in memory.
pub async fn stream(
    table: DatasetTable,
    format: Streamed,
) -> Result<BoxStream<'static, Result<Vec<u8>, QueryError>>, QueryError> {
    let name = table.name.clone();
    let ctx = context(&[table], MEMORY)?;
    let frame = ctx.table(name.as_str()).await?;
    let names: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let first = match format {
        Streamed::Csv => {
            let mut out = BOM.to_vec();
            out.extend(csv_line(names.iter().map(String::as_str)));
            out
        }
        Streamed::Jsonl => Vec::new(),
    };
    let rows = frame.execute_stream().await?;
    let body = rows.map(move |batch| {
        let batch = batch?;
        match format {
            Streamed::Csv => csv_chunk(&batch),
            Streamed::Jsonl => jsonl_chunk(&batch, &names),
        }
    });
    Ok(futures::stream::once(async move { Ok(first) })
        .chain(body)
        .boxed())
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, c) in cells.enumerate() {
        if i > 0 {
            line.push(b',');
        }
        // RFC 4180: quote a cell holding a comma, a quote or a line break; double the quotes.
        if c.contains([',', '"', '\n', '\r']) {
            line.push(b'"');
            line.extend(c.replace('"', "\"\"").as_bytes());
            line.push(b'"');
        } else {
            line.extend(c.as_bytes());
        }
    }
    line.extend(b"\r\n");
    line
}

fn formatters(batch: &RecordBatch) -> Result<Vec<ArrayFormatter<'_>>, QueryError> {
    Ok(batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &Default::default()))
        .collect::<Result<_, _>>()?)
}

fn csv_chunk(batch: &RecordBatch) -> Result<Vec<u8>, QueryError> {
    let f = formatters(batch)?;
    let mut out = Vec::new();
    for r in 0..batch.num_rows() {
        let cells: Vec<String> = batch
            .columns()
            .iter()
            .zip(&f)
            .map(|(c, f)| {
                if c.is_null(r) {
                    String::new()
                } else {
                    f.value(r).to_string()
                }
            })
            .collect();
        out.extend(csv_line(cells.iter().map(String::as_str)));
    }
    Ok(out)
}

fn jsonl_chunk(batch: &RecordBatch, names: &[String]) -> Result<Vec<u8>, QueryError> {
    let f = formatters(batch)?;
    let mut out = Vec::new();
    for r in 0..batch.num_rows() {
        let object: serde_json::Map<String, serde_json::Value> = names
            .iter()
            .zip(batch.columns().iter().zip(&f))
            .map(|(n, (c, f))| (n.clone(), json_value(c.as_ref(), r, f)))
            .collect();
        // A map of strings and JSON values always serializes.
        out.extend(serde_json::to_vec(&object).unwrap_or_default());
        out.push(b'\n');
    }
    Ok(out)
}

/// Data rows an XLSX worksheet holds (below its header row).
pub const XLSX_MAX_ROWS: i64 = 1_048_575;
/// Columns an XLSX worksheet holds.
pub const XLSX_MAX_COLUMNS: usize = 16_384;

/// Sends what the workbook writes into a channel, a chunk per write: the response body.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Vec<u8>, QueryError>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(buf.to_vec()))
            .map_err(|_| std::io::Error::other("the download was closed"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> QueryError {
    QueryError::DataFusion(datafusion::error::DataFusionError::External(Box::new(e)))
}

/// Every row of `table` as an XLSX workbook of one sheet: numbers as numbers, the rest as text,
/// nulls as empty cells. Rows go to a temporary file in `scratch` as they are read (constant
/// memory); the workbook is then zipped into the returned stream, so nothing is sent before every
/// row was written: a failure (a cell past a sheet's limits) is the stream's first item. The
/// caller checks the row count against [`XLSX_MAX_ROWS`] first.
pub fn xlsx(
    table: DatasetTable,
    scratch: std::path::PathBuf,
) -> BoxStream<'static, Result<Vec<u8>, QueryError>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, QueryError>>(8);
    let failed = tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<(), QueryError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| QueryError::DataFusion(e.into()))?;
            let mut workbook = rust_xlsxwriter::Workbook::new();
            workbook.set_tempdir(&scratch).map_err(xlsx_error)?;
            let sheet = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_error)?;
            runtime.block_on(async {
                let name = table.name.clone();
                let ctx = context(&[table], MEMORY)?;
                let frame = ctx.table(name.as_str()).await?;
                if frame.schema().fields().len() > XLSX_MAX_COLUMNS {
                    return Err(QueryError::DataFusion(
                        datafusion::error::DataFusionError::Plan(format!(
                            "{} columns; an XLSX sheet holds {XLSX_MAX_COLUMNS}: download CSV or Parquet",
                            frame.schema().fields().len()
                        )),
                    ));
                }
                for (c, f) in frame.schema().fields().iter().enumerate() {
                    sheet
                        .write_string(0, c as u16, f.name().as_str())
                        .map_err(xlsx_error)?;
                }
                let mut row: u32 = 1;
                let mut rows = frame.execute_stream().await?;
                while let Some(batch) = rows.next().await {
                    let batch = batch?;
                    let f = formatters(&batch)?;
                    for r in 0..batch.num_rows() {
                        for (c, (column, text)) in batch.columns().iter().zip(&f).enumerate() {
                            let col = c as u16;
                            match json_value(column.as_ref(), r, text) {
                                serde_json::Value::Null => {}
                                // A spreadsheet's numbers are doubles: an integer past 2^53
                                // (a code, an account) goes in as text, not rounded.
                                serde_json::Value::Number(n)
                                    if n.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
                                        || n.as_u64().is_some_and(|u| u > 1 << 53) =>
                                {
                                    sheet
                                        .write_string(row, col, n.to_string())
                                        .map_err(xlsx_error)?;
                                }
                                serde_json::Value::Number(n) => {
                                    sheet
                                        .write_number(row, col, n.as_f64().unwrap_or(f64::NAN))
                                        .map_err(xlsx_error)?;
                                }
                                serde_json::Value::Bool(b) => {
                                    sheet.write_boolean(row, col, b).map_err(xlsx_error)?;
                                }
                                serde_json::Value::String(s) => {
                                    sheet.write_string(row, col, s).map_err(xlsx_error)?;
                                }
                                other => {
                                    sheet
                                        .write_string(row, col, other.to_string())
                                        .map_err(xlsx_error)?;
                                }
                            }
                        }
                        row += 1;
                    }
                }
                Ok::<(), QueryError>(())
            })?;
            workbook
                .save_to_writer(ChannelWriter(tx))
                .map_err(xlsx_error)
        })();
        if let Err(e) = result {
            let _ = failed.blocking_send(Err(e));
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }).boxed()
}

/// A `datastore_search` over one release.
#[derive(Debug, Clone, Default)]
pub struct DatastoreQuery {
    /// Each column must equal the value (or one of the values, for a list), compared as text.
    pub filters: Vec<(String, Vec<String>)>,
    /// Rows where some column's text holds this (case-insensitive).
    pub q: Option<String>,
    /// The columns returned (default: all).
    pub fields: Option<Vec<String>>,
    /// Order: columns, each descending or not.
    pub sort: Vec<(String, bool)>,
    /// Rows skipped.
    pub offset: usize,
    /// Rows returned at most.
    pub limit: usize,
    /// Whether to count every matching row.
    pub include_total: bool,
}

/// What a `datastore_search` found.
#[derive(Debug, Clone)]
pub struct DatastoreAnswer {
    /// The columns returned: name and CKAN's type name.
    pub fields: Vec<(String, String)>,
    /// The rows, as JSON values in column order.
    pub records: Vec<Vec<serde_json::Value>>,
    /// How many rows match, if asked.
    pub total: Option<u64>,
}

/// Why a `datastore_search` could not run.
#[derive(Debug, thiserror::Error)]
pub enum DatastoreError {
    /// A field, filter or sort names a column the release does not have.
    #[error("{param}: {column:?} is not a field of this resource")]
    UnknownField {
        /// The parameter (`fields`, `filters`, `sort`).
        param: &'static str,
        /// The name given.
        column: String,
    },
    /// The plan failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl From<datafusion::error::DataFusionError> for DatastoreError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        DatastoreError::Query(e.into())
    }
}

fn column(name: &str) -> Expr {
    // Unqualified: a column named `a.b` is one column, not `b` of table `a`.
    Expr::Column(Column::new_unqualified(name))
}

fn as_text(name: &str) -> Expr {
    cast(column(name), datafusion::arrow::datatypes::DataType::Utf8)
}

/// CKAN's name for a column type.
fn ckan_type(t: &datafusion::arrow::datatypes::DataType) -> String {
    match type_name(t).as_str() {
        "integer" => "int".into(),
        "decimal" => "numeric".into(),
        "boolean" => "bool".into(),
        other => other.to_string(),
    }
}

/// Runs `query` over the release `table`.
pub async fn datastore_search(
    table: DatasetTable,
    query: &DatastoreQuery,
) -> Result<DatastoreAnswer, DatastoreError> {
    let name = table.name.clone();
    let ctx = context(&[table], MEMORY)?;
    let frame: DataFrame = ctx.table(name.as_str()).await?;
    let mut columns: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // `_id`: the row's number in the release (one object, read in order), as CKAN numbers its
    // records; the default order and the last key of every order, so pages never overlap.
    let numbered = frame.window(vec![
        datafusion::functions_window::expr_fn::row_number().alias("_id"),
    ])?;
    let mut frame = numbered.select(
        std::iter::once(column("_id"))
            .chain(columns.iter().map(|c| column(c)))
            .collect::<Vec<_>>(),
    )?;
    columns.insert(0, "_id".to_string());
    let known = |param: &'static str, c: &str| {
        if columns.iter().any(|x| x == c) {
            Ok(())
        } else {
            Err(DatastoreError::UnknownField {
                param,
                column: c.to_string(),
            })
        }
    };
    for (c, values) in &query.filters {
        known("filters", c)?;
        let list: Vec<Expr> = values.iter().map(|v| lit(v.clone())).collect();
        frame = frame.filter(as_text(c).in_list(list, false))?;
    }
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let escaped = q
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = lit(format!("%{escaped}%"));
        let any = columns
            .iter()
            .filter(|c| c.as_str() != "_id")
            .map(|c| {
                Expr::Like(Like::new(
                    false,
                    Box::new(as_text(c)),
                    Box::new(pattern.clone()),
                    Some('\\'),
                    true,
                ))
            })
            .reduce(Expr::or);
        if let Some(any) = any {
            frame = frame.filter(any)?;
        }
    }
    let mut order = Vec::new();
    for (c, descending) in &query.sort {
        known("sort", c)?;
        order.push(column(c).sort(!descending, *descending));
    }
    if !query.sort.iter().any(|(c, _)| c == "_id") {
        order.push(column("_id").sort(true, false));
    }
    frame = frame.sort(order)?;
    let total = if query.include_total {
        Some(frame.clone().count().await? as u64)
    } else {
        None
    };
    if let Some(fields) = &query.fields {
        for f in fields {
            known("fields", f)?;
        }
        frame = frame.select(fields.iter().map(|f| column(f)).collect::<Vec<_>>())?;
    }
    let frame = frame.limit(query.offset, Some(query.limit))?;
    let fields: Vec<(String, String)> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), ckan_type(f.data_type())))
        .collect();
    let mut records = Vec::new();
    let mut rows = frame.execute_stream().await?;
    while let Some(batch) = rows.next().await {
        let batch = batch?;
        let f = formatters(&batch)?;
        for r in 0..batch.num_rows() {
            records.push(
                batch
                    .columns()
                    .iter()
                    .zip(&f)
                    .map(|(c, f)| json_value(c.as_ref(), r, f))
                    .collect(),
            );
        }
    }
    Ok(DatastoreAnswer {
        fields,
        records,
        total,
    })
}
