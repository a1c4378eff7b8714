//! Where dataset parts live: an `object_store` location, a local folder by default.
//!
//! A part is first written to a local scratch file (Parquet seeks back to write its footer, and
//! the checks stream through it), then streamed to the location as a multipart upload. Object
//! stores make such an upload visible only once it completes, so a crash midway leaves no part;
//! and a part, once there, is only ever referenced by the version that committed it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

/// Size of each piece streamed to the location; two are in flight at most.
const CHUNK: usize = 8 << 20;

/// Why the dataset location cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The location's URL or folder is not usable.
    #[error("dataset location {location}: {message}")]
    Location {
        /// The URL or folder as given.
        location: String,
        /// Why.
        message: String,
    },
    /// Reading or writing a part failed.
    #[error("dataset part {part}: {message}")]
    Part {
        /// The part, relative to the location.
        part: String,
        /// Why.
        message: String,
    },
}

/// An object found in the location.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// Its path, relative to the location (as versions list their parts).
    pub part: String,
    /// Bytes.
    pub size: u64,
    /// When it was written.
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// The location of dataset parts, with a local folder for scratch files.
#[derive(Debug, Clone)]
pub struct DatasetStorage {
    objects: Arc<dyn ObjectStore>,
    location: String,
    scratch: PathBuf,
}

impl DatasetStorage {
    /// Parts under the local folder `dir`, created if missing.
    pub fn local(dir: &Path, scratch: &Path) -> Result<DatasetStorage, StorageError> {
        let fail = |message: String| StorageError::Location {
            location: dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        let objects = LocalFileSystem::new_with_prefix(dir).map_err(|e| fail(e.to_string()))?;
        Self::with(Arc::new(objects), dir.display().to_string(), scratch)
    }

    /// Parts at `url`: a local folder (a path or `file:///...`), or any location the build's
    /// `object_store` understands (`memory://` always; cloud stores when their features are on).
    pub fn open(url: &str, scratch: &Path) -> Result<DatasetStorage, StorageError> {
        let parsed = match url::Url::parse(url) {
            Ok(u) if u.scheme() == "file" => {
                let dir = u.to_file_path().map_err(|()| StorageError::Location {
                    location: url.to_string(),
                    message: "not an absolute local path".into(),
                })?;
                return Self::local(&dir, scratch);
            }
            Ok(u) => u,
            // No scheme: a folder.
            Err(_) => return Self::local(Path::new(url), scratch),
        };
        let (objects, prefix) =
            object_store::parse_url(&parsed).map_err(|e| StorageError::Location {
                location: url.to_string(),
                message: e.to_string(),
            })?;
        let objects: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            Arc::from(objects)
        } else {
            Arc::new(PrefixStore::new(objects, prefix))
        };
        Self::with(objects, url.to_string(), scratch)
    }

    /// Parts in `objects` (already scoped to the datasets' prefix), described as `location`.
    pub fn with(
        objects: Arc<dyn ObjectStore>,
        location: String,
        scratch: &Path,
    ) -> Result<DatasetStorage, StorageError> {
        std::fs::create_dir_all(scratch).map_err(|e| StorageError::Location {
            location: scratch.display().to_string(),
            message: format!("scratch folder: {e}"),
        })?;
        Ok(DatasetStorage {
            objects,
            location,
            scratch: scratch.to_path_buf(),
        })
    }

    /// The location as configured (for messages and logs).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The object store, scoped to the datasets (parts are addressed by [`Self::path`]).
    pub fn objects(&self) -> Arc<dyn ObjectStore> {
        self.objects.clone()
    }

    /// The local folder for scratch files (spooled uploads, parts being written).
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// A part's object path.
    pub fn path(part: &str) -> Result<ObjectPath, StorageError> {
        ObjectPath::parse(part).map_err(|e| StorageError::Part {
            part: part.to_string(),
            message: e.to_string(),
        })
    }

    /// Streams the local `file` to `part`, which appears only once complete.
    pub async fn put_file(&self, part: &str, file: &Path) -> Result<(), StorageError> {
        let fail = |message: String| StorageError::Part {
            part: part.to_string(),
            message,
        };
        let path = Self::path(part)?;
        let upload = self
            .objects
            .put_multipart(&path)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
        let streamed = async {
            let mut source = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                // Local reads block; the read and its buffer move to a blocking thread and back.
                let (s, b, n) = tokio::task::spawn_blocking(move || {
                    let n = read_full(&mut source, &mut buf);
                    (source, buf, n)
                })
                .await
                .map_err(|e| e.to_string())?;
                (source, buf) = (s, b);
                let n = n.map_err(|e| e.to_string())?;
                if n == 0 {
                    return Ok::<(), String>(());
                }
                writer
                    .wait_for_capacity(2)
                    .await
                    .map_err(|e| e.to_string())?;
                writer.write(&buf[..n]);
            }
        }
        .await;
        if let Err(message) = streamed {
            // An upload left open would linger in a cloud store.
            let _ = writer.abort().await;
            return Err(fail(message));
        }
        writer.finish().await.map_err(|e| fail(e.to_string()))?;
        Ok(())
    }

    /// Removes `part`; a part that is not there is not an error.
    pub async fn delete(&self, part: &str) -> Result<(), StorageError> {
        match self.objects.delete(&Self::path(part)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::Part {
                part: part.to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// Every object in the location, with its size and when it was written.
    pub async fn list(&self) -> Result<Vec<StoredObject>, StorageError> {
        use futures::StreamExt;
        let mut listing = self.objects.list(None);
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| StorageError::Location {
                location: self.location.clone(),
                message: e.to_string(),
            })?;
            out.push(StoredObject {
                part: meta.location.to_string(),
                size: meta.size,
                modified: meta.last_modified,
            });
        }
        Ok(out)
    }

    /// Whether `part` exists.
    pub async fn exists(&self, part: &str) -> Result<bool, StorageError> {
        match self.objects.head(&Self::path(part)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(StorageError::Part {
                part: part.to_string(),
                message: e.to_string(),
            }),
        }
    }
}

/// Fills `buf` unless the file ends first; returns how much was read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
