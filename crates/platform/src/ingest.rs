//! Aggregation (归集): an uploaded file checked against its catalog entry and, when rows pass,
//! stored as a new immutable dataset version.
//!
//! The file streams through in batches: each row is checked ([`QualityChecker`]), accepted rows
//! are cast to the items' types and written to a new Parquet part in the scratch folder, which is
//! then streamed to the dataset location ([`DatasetStorage`]). A version lists its parts: an
//! append lists the previous version's parts and the new one, a replacement only the new one. The
//! version becomes visible only when its row commits, with its audit entry, in one transaction; a
//! crash before that leaves at most an unreferenced part and the previous version as it was.

use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::{DataType as ArrowType, Field, Schema, SchemaRef};
use pubdata_tables::{Format, ReadOptions, TableError, TableWriter, cast_to_utf8};
use serde::{Deserialize, Serialize};

use crate::audit::Outcome;
use crate::catalog::{DataItem, DataType};
use crate::quality::{HeaderMismatch, QualityChecker, QualityReport, match_header};
use crate::storage::{DatasetStorage, StorageError};
use crate::store::{Store, StoreError, StoredEntry, new_id};

/// Whether an upload adds to the current version or replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The new version holds the previous rows and the new ones.
    #[default]
    Append,
    /// The new version holds only the new rows.
    Replace,
}

impl Mode {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Append => "append",
            Mode::Replace => "replace",
        }
    }
}

/// One upload to aggregate.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    /// The file, already on local disk.
    pub file: &'a Path,
    /// Its format, when the file name does not tell.
    pub format: Option<Format>,
    /// The name the uploader gave it, recorded as is (never used as a path).
    pub source_name: &'a str,
    /// Append or replace.
    pub mode: Mode,
    /// Who uploads.
    pub actor: &'a str,
    /// How many rejected rows still let the accepted ones become a version.
    pub max_rejected: RejectLimit,
}

/// How many rejected rows an upload may have and still become a version of its accepted rows.
/// The default is none: a file with a rejected row is refused whole (with its report) unless the
/// uploader asks for partial acceptance, so that a file two-thirds rejected never becomes the
/// dataset by accident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RejectLimit {
    /// At most this many rows (the default: none).
    Rows(u64),
    /// At most this share of the rows read, 0 to 1.
    Share(f64),
}

impl Default for RejectLimit {
    fn default() -> Self {
        RejectLimit::Rows(0)
    }
}

impl RejectLimit {
    /// Whether `rejected` of `read` rows is within the limit.
    pub fn allows(self, rejected: u64, read: u64) -> bool {
        match self {
            RejectLimit::Rows(n) => rejected <= n,
            RejectLimit::Share(share) => rejected as f64 <= share * read as f64,
        }
    }
}

impl std::str::FromStr for RejectLimit {
    type Err = String;

    /// `N` rows, `P%` of the rows read, or `all`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || format!("{s:?}: give a number of rows (10), a share of the rows (5%) or all");
        if s.eq_ignore_ascii_case("all") {
            return Ok(RejectLimit::Share(1.0));
        }
        if let Some(p) = s.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&p) {
                return Err(bad());
            }
            return Ok(RejectLimit::Share(p / 100.0));
        }
        Ok(RejectLimit::Rows(s.parse().map_err(|_| bad())?))
    }
}

impl std::fmt::Display for RejectLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RejectLimit::Rows(n) => write!(f, "{n}"),
            RejectLimit::Share(s) if *s >= 1.0 => write!(f, "all"),
            RejectLimit::Share(s) => write!(f, "{}%", s * 100.0),
        }
    }
}

/// A committed dataset version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Version {
    /// The catalog entry.
    pub entry_id: String,
    /// 1, 2, ...
    pub version: i64,
    /// How it was made.
    pub mode: Mode,
    /// Records in the version (all parts).
    pub rows: i64,
    /// Its Parquet parts, relative to the dataset location.
    pub parts: Vec<String>,
    /// The upload's quality report.
    pub report: QualityReport,
}

/// Why an upload was not aggregated. Nothing is committed in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file cannot be read or the part cannot be written (the message names the uploaded
    /// file and, where known, the line; never the server's paths; at most 500 characters).
    #[error("{0}")]
    Table(String),
    /// The file's columns are not the entry's items.
    #[error("{file}: {mismatch}")]
    Header {
        /// The uploaded name.
        file: String,
        /// What is missing and what is unknown.
        mismatch: HeaderMismatch,
    },
    /// More rows were rejected than the uploader allowed.
    #[error(
        "{file}: {} of its {} rows were rejected, more than max_rejected {limit} allows; nothing was committed (see the report; fix the rows, or accept the others with max_rejected)",
        report.rows_rejected,
        report.rows_read
    )]
    TooManyRejected {
        /// The uploaded name.
        file: String,
        /// The limit, as the uploader gave it.
        limit: RejectLimit,
        /// The report.
        report: Box<QualityReport>,
    },
    /// No row passed the checks.
    #[error("{file}: none of its {} rows passed the checks; see the report", report.rows_read)]
    NothingAccepted {
        /// The uploaded name.
        file: String,
        /// The report.
        report: Box<QualityReport>,
    },
    /// A checked value did not convert to its item's type.
    #[error("{file}: item {item}: {message}")]
    Convert {
        /// The uploaded name.
        file: String,
        /// The item.
        item: String,
        /// Why, in our words: the converter's own message quotes the value.
        message: String,
    },
    /// An append after the entry's data items changed: the new rows would not fit the version's
    /// schema, so a version with the new items starts with a replacement.
    #[error(
        "{file}: the entry's data items changed since version {version} was written; upload \
         with mode replace to start a version with the new items"
    )]
    ItemsChanged {
        /// The uploaded name.
        file: String,
        /// The version appended to.
        version: i64,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The dataset location refused or failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The scratch folder cannot be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
}

fn arrow_type(t: DataType) -> ArrowType {
    match t {
        DataType::Integer => ArrowType::Int64,
        DataType::Decimal => ArrowType::Float64,
        DataType::Date => ArrowType::Date32,
        // Kept as checked text: zones and separators vary more than a cast accepts.
        DataType::Text | DataType::Timestamp | DataType::Boolean => ArrowType::Utf8,
    }
}

/// The Parquet schema of an entry's datasets: one nullable column per item, in item order.
pub fn dataset_schema(items: &[DataItem]) -> SchemaRef {
    Arc::new(Schema::new(
        items
            .iter()
            .map(|i| Field::new(&i.name, arrow_type(i.data_type), true))
            .collect::<Vec<_>>(),
    ))
}

/// Checks `upload` against `entry` and commits it as the entry's next version, with its part in
/// `datasets`. A failure of any kind is audited as such, whichever door the upload came through.
pub async fn ingest(
    store: &Store,
    datasets: &DatasetStorage,
    entry: &StoredEntry,
    upload: &Upload<'_>,
) -> Result<Version, IngestError> {
    let result = ingest_unaudited(store, datasets, entry, upload).await;
    if let Err(e) = &result {
        // The server's own failures may name its folders and locations: those stay in its log.
        let detail = match e {
            IngestError::Io { .. } | IngestError::Storage(_) => {
                "the server failed to store the part (see its log)".to_string()
            }
            other => other.to_string(),
        };
        // The refusal itself is what the log must keep; a failing log must not hide it.
        store
            .audit(
                upload.actor,
                "dataset.ingest",
                &format!("entry:{}", entry.id),
                Outcome::Failed,
                &detail,
            )
            .await
            .ok();
    }
    result
}

/// Removes a scratch file however the ingest ends.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn ingest_unaudited(
    store: &Store,
    datasets: &DatasetStorage,
    entry: &StoredEntry,
    upload: &Upload<'_>,
) -> Result<Version, IngestError> {
    let items = &entry.entry.items;
    // Each version keeps the schema it was written with: an append must have the same one.
    if upload.mode == Mode::Append
        && let Some(previous) = store.versions(&entry.id).await?.into_iter().next()
        && let Some(first) = previous.parts.first()
    {
        let written = datasets.part_schema(first).await?;
        let now = dataset_schema(items);
        if !pubdata_tables::same_columns(&written, &now) {
            return Err(IngestError::ItemsChanged {
                file: upload.source_name.to_string(),
                version: previous.version,
            });
        }
    }
    let id = new_id("part-");
    let part = format!("{}/{id}.parquet", entry.id);
    let local = Scratch(datasets.scratch().join(format!("{id}.parquet")));
    // Reading and writing files blocks; keep it off the async workers.
    let report = {
        let (path, items) = (local.0.clone(), items.clone());
        let (file, format, name) = (
            upload.file.to_path_buf(),
            upload.format,
            upload.source_name.to_string(),
        );
        tokio::task::spawn_blocking(move || write_part(&path, &items, &file, format, &name))
            .await
            .map_err(|e| IngestError::Io {
                path: "the dataset part".into(),
                source: std::io::Error::other(e.to_string()),
            })??
    };
    if !upload
        .max_rejected
        .allows(report.rows_rejected, report.rows_read)
    {
        return Err(IngestError::TooManyRejected {
            file: upload.source_name.to_string(),
            limit: upload.max_rejected,
            report: Box::new(report),
        });
    }
    datasets.put_file(&part, &local.0).await?;
    drop(local);
    let committed = store
        .commit_version(
            &entry.id,
            upload.mode.name(),
            &part,
            report.rows_accepted as i64,
            upload.actor,
            upload.source_name,
            &serde_json::to_string(&report).unwrap_or_default(),
        )
        .await;
    match committed {
        Ok((version, rows, parts)) => Ok(Version {
            entry_id: entry.id.clone(),
            version,
            mode: upload.mode,
            rows,
            parts,
            report,
        }),
        Err(e) => {
            // The part was never referenced; removing it keeps the location tidy.
            let _ = datasets.delete(&part).await;
            Err(e.into())
        }
    }
}

/// Streams the upload through the checks into a Parquet part at `path`; returns the report.
fn write_part(
    path: &Path,
    items: &[DataItem],
    source: &Path,
    format: Option<Format>,
    source_name: &str,
) -> Result<QualityReport, IngestError> {
    let file = source_name.to_string();
    let opts = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    // Messages name the upload as its uploader called it, never the server's paths; and they
    // are cut, since a reader's message may quote what the file holds (a sheet's name, a key).
    let label = |e: TableError| {
        IngestError::Table(clip(
            &e.to_string()
                .replace(&source.display().to_string(), source_name)
                .replace(&path.display().to_string(), "the dataset part"),
            MAX_MESSAGE,
        ))
    };
    let reader = pubdata_tables::open(source, &opts).map_err(label)?;
    let schema = reader.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let columns = match_header(items, &names).map_err(|mismatch| IngestError::Header {
        file: file.clone(),
        mismatch,
    })?;
    let out_schema = dataset_schema(items);
    let mut writer =
        TableWriter::create(path, Format::Parquet, out_schema.clone()).map_err(label)?;
    let mut checker = QualityChecker::new(items);
    let strict = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    for batch in reader {
        let batch = batch.map_err(label)?;
        let text: Vec<_> = columns
            .iter()
            .map(|&c| cast_to_utf8(batch.column(c)))
            .collect::<Result<_, _>>()
            .map_err(label)?;
        let mut keep = Vec::with_capacity(batch.num_rows());
        let mut cells: Vec<Option<&str>> = vec![None; items.len()];
        for row in 0..batch.num_rows() {
            for (cell, col) in cells.iter_mut().zip(&text) {
                *cell = (!arrow_array::Array::is_null(col, row)).then(|| col.value(row));
            }
            keep.push(checker.check_row(&cells));
        }
        let mask = BooleanArray::from(keep);
        let mut out: Vec<ArrayRef> = Vec::with_capacity(items.len());
        for (item, col) in items.iter().zip(&text) {
            // Arrow's messages quote the value, which may be personal data: ours name the item.
            let failed = |what: &str| IngestError::Convert {
                file: file.clone(),
                item: clip(&item.name, 100),
                message: what.to_string(),
            };
            let kept = arrow_select::filter::filter(col, &mask)
                .map_err(|_| failed("the accepted rows could not be selected"))?;
            let target = arrow_type(item.data_type);
            // The checks read values trimmed; so must the cast, or " 12" passes and then fails.
            // A date passed in any form records use (2025-01, 2025年1月5日) is cast as the day
            // it names.
            let kept: ArrayRef = if target == ArrowType::Utf8 {
                kept
            } else if item.data_type == DataType::Date {
                Arc::new(
                    kept.as_string::<i32>()
                        .iter()
                        .map(|v| v.and_then(crate::quality::normalize_date))
                        .collect::<StringArray>(),
                )
            } else {
                Arc::new(
                    kept.as_string::<i32>()
                        .iter()
                        .map(|v| v.map(str::trim))
                        .collect::<StringArray>(),
                )
            };
            let typed = cast_with_options(&kept, &target, &strict).map_err(|_| {
                failed(&format!(
                    "a value that passed the checks did not convert to {target}"
                ))
            })?;
            out.push(typed);
        }
        let batch =
            RecordBatch::try_new(out_schema.clone(), out).map_err(|_| IngestError::Convert {
                file: file.clone(),
                item: String::new(),
                message: "the accepted rows did not form a batch".into(),
            })?;
        if batch.num_rows() > 0 {
            writer.write(&batch).map_err(label)?;
        }
    }
    let report = checker.finish();
    if report.rows_accepted == 0 {
        // Dropping the writer removes its temporary file.
        drop(writer);
        return Err(IngestError::NothingAccepted {
            file,
            report: Box::new(report),
        });
    }
    writer.finish().map_err(label)?;
    Ok(report)
}

/// Longest message of a reader's failure kept, in characters.
const MAX_MESSAGE: usize = 500;

/// `text` cut to `max` characters, with a mark when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// The default dataset location under a platform data folder: `datasets/`, with scratch files
/// under `incoming/`.
pub fn local_storage(data_dir: &Path) -> Result<DatasetStorage, StorageError> {
    DatasetStorage::local(&data_dir.join("datasets"), &data_dir.join("incoming"))
}
