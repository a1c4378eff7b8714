//! What a pipeline reads: a table file, or a dataset version's Parquet parts from the object
//! store (local parts in place, remote ones through temporary copies kept while the input lives).

use std::io::Read;
use std::path::PathBuf;

use futures::StreamExt;
use object_store::{GetResultPayload, ObjectStoreExt};
use pubdata_platform::storage::DatasetStorage;
use pubdata_tables::{ReadLimits, ReadOptions, TableReader};
use sha2::Digest;

use crate::ReleaseError;

/// A table to read, as local files.
pub struct Input {
    label: String,
    files: Vec<PathBuf>,
    options: ReadOptions,
    _copies: Vec<tempfile::NamedTempFile>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("label", &self.label).finish()
    }
}

impl Input {
    /// A table file, read with `options`.
    pub fn file(path: impl Into<PathBuf>, options: ReadOptions) -> Input {
        let path = path.into();
        Input {
            label: path.display().to_string(),
            files: vec![path],
            options,
            _copies: Vec::new(),
        }
    }

    /// A dataset version: its parts (as versions list them) in `storage`, read in order as one
    /// table; `label` (such as `e_…_v3`) names it in messages, never the server's folders.
    pub async fn version(
        storage: &DatasetStorage,
        label: &str,
        parts: &[String],
    ) -> Result<Input, ReleaseError> {
        let mut files = Vec::with_capacity(parts.len());
        let mut copies = Vec::new();
        for part in parts {
            let cannot = |e: &dyn std::fmt::Display| {
                tracing::warn!(part, error = %e, "cannot read a dataset part");
                ReleaseError::invalid(format!("{label}: dataset part {part} cannot be read"))
            };
            let path = DatasetStorage::path(part)?;
            let got = storage.objects().get(&path).await.map_err(|e| cannot(&e))?;
            match got.payload {
                GetResultPayload::File(_, file) => files.push(file),
                GetResultPayload::Stream(mut bytes) => {
                    let mut copy = tempfile::NamedTempFile::new_in(storage.scratch())
                        .map_err(|e| cannot(&e))?;
                    while let Some(chunk) = bytes.next().await {
                        let chunk = chunk.map_err(|e| cannot(&e))?;
                        std::io::Write::write_all(&mut copy, &chunk).map_err(|e| cannot(&e))?;
                    }
                    files.push(copy.path().to_path_buf());
                    copies.push(copy);
                }
            }
        }
        // Parts are the platform's own files, written after the upload's checks.
        let options = ReadOptions {
            format: Some(pubdata_tables::Format::Parquet),
            limits: ReadLimits::unlimited(),
            ..ReadOptions::default()
        };
        Ok(Input {
            label: label.to_string(),
            files,
            options,
            _copies: copies,
        })
    }

    /// What messages call this input.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The read options.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// Opens the input for one pass.
    pub fn open(&self) -> Result<TableReader, ReleaseError> {
        self.open_with(self.options.batch_size)
    }

    /// Opens the input for one pass with another batch size.
    pub fn open_with(&self, batch_size: usize) -> Result<TableReader, ReleaseError> {
        let options = ReadOptions {
            batch_size: batch_size.max(1),
            ..self.options.clone()
        };
        let mut readers = Vec::with_capacity(self.files.len());
        for f in &self.files {
            readers.push(pubdata_tables::open(f, &options)?);
        }
        if readers.len() == 1 {
            return Ok(readers.remove(0));
        }
        Ok(TableReader::concat(&self.label, readers)?)
    }

    /// SHA-256 of the input's bytes (the parts' bytes in order), as hex.
    pub fn sha256(&self) -> Result<String, ReleaseError> {
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        for path in &self.files {
            let cannot = |e: std::io::Error| {
                ReleaseError::invalid(format!("{}: cannot read: {e}", self.label))
            };
            let mut file = std::fs::File::open(path).map_err(cannot)?;
            loop {
                let n = file.read(&mut buf).map_err(cannot)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
        }
        Ok(data_encoding::HEXLOWER.encode(&hasher.finalize()))
    }
}
