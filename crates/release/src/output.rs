//! Where a pipeline writes: a table file, or a new object in the dataset location. Either appears
//! whole or not at all: the table writer renames its temporary file only when finished, and an
//! object is uploaded from a finished local file as a multipart upload, visible once complete.

use std::path::{Path, PathBuf};

use pubdata_platform::storage::DatasetStorage;
use pubdata_tables::{Format, TableWriter};

use crate::ReleaseError;

/// A pipeline's destination.
#[derive(Debug, Clone)]
pub enum Output {
    /// A table file: .csv, .tsv or .parquet.
    File(PathBuf),
    /// A Parquet object at `key` in `storage`.
    Object {
        /// The location.
        storage: DatasetStorage,
        /// The object's path in it.
        key: String,
    },
}

impl Output {
    /// What messages call this output.
    pub fn label(&self) -> String {
        match self {
            Output::File(p) => p.display().to_string(),
            Output::Object { key, .. } => key.clone(),
        }
    }

    /// Checks the destination's format before any work is done.
    pub fn format(&self) -> Result<Format, ReleaseError> {
        match self {
            Output::File(path) => {
                let format = Format::from_path(path)?;
                if !matches!(format, Format::Csv | Format::Tsv | Format::Parquet) {
                    return Err(ReleaseError::invalid(format!(
                        "{}: output must be .csv, .tsv or .parquet",
                        path.display()
                    )));
                }
                Ok(format)
            }
            Output::Object { .. } => Ok(Format::Parquet),
        }
    }

    /// A writer for this output. For an object it writes a scratch file shaped like an
    /// ingest's local part, so that what a stopped process leaves is cleared with the rest.
    pub fn writer(&self, schema: arrow_schema::SchemaRef) -> Result<Staged, ReleaseError> {
        let format = self.format()?;
        let local = match self {
            Output::File(path) => path.clone(),
            Output::Object { storage, .. } => storage.scratch().join(format!(
                "part-{}.parquet",
                pubdata_platform::store::new_id("")
            )),
        };
        let writer = TableWriter::create(&local, format, schema)?;
        Ok(Staged {
            writer,
            local,
            output: self.clone(),
        })
    }
}

/// An output being written.
pub struct Staged {
    writer: TableWriter,
    local: PathBuf,
    output: Output,
}

/// What a finished output holds.
#[derive(Debug, Clone)]
pub struct Written {
    /// Its SHA-256, as hex.
    pub sha256: String,
    /// Bytes.
    pub bytes: u64,
}

impl Staged {
    /// Writes a batch.
    pub fn write(&mut self, batch: &arrow_array::RecordBatch) -> Result<(), ReleaseError> {
        Ok(self.writer.write(batch)?)
    }

    /// Finishes the file and, for an object, uploads it (and removes the local copy).
    pub fn finish(self) -> Result<Written, ReleaseError> {
        self.writer.finish()?;
        let written = digest(&self.local)?;
        if let Output::Object { storage, key } = &self.output {
            let uploaded = upload(storage, key, &self.local);
            let _ = std::fs::remove_file(&self.local);
            uploaded?;
        }
        Ok(written)
    }
}

fn upload(storage: &DatasetStorage, key: &str, file: &Path) -> Result<(), ReleaseError> {
    // On a thread of its own: a pipeline finishes its output from inside its plan's runtime (or
    // a server's), where blocking on another runtime is not allowed.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(ReleaseError::invalid)?;
                Ok(runtime.block_on(storage.put_file(key, file))?)
            })
            .join()
            .unwrap_or_else(|_| Err(ReleaseError::invalid("the upload thread failed")))
    })
}

fn digest(path: &Path) -> Result<Written, ReleaseError> {
    let input = crate::Input::file(path, pubdata_tables::ReadOptions::default());
    let sha256 = input.sha256()?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Written { sha256, bytes })
}

/// Writes `bytes` to `key` in `storage` (a report beside a release).
pub fn put_bytes(storage: &DatasetStorage, key: &str, bytes: &[u8]) -> Result<(), ReleaseError> {
    let mut file = tempfile::Builder::new()
        .prefix(".tmp")
        .rand_bytes(6)
        .tempfile_in(storage.scratch())
        .map_err(|e| ReleaseError::invalid(format!("cannot write a scratch file: {e}")))?;
    std::io::Write::write_all(&mut file, bytes)
        .map_err(|e| ReleaseError::invalid(format!("cannot write a scratch file: {e}")))?;
    upload(storage, key, file.path())
}
