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

/// A file in the scratch folder that only a stopped process can have left: see
/// [`is_scratch_leftover`].
#[derive(Debug, Clone)]
pub struct ScratchFile {
    /// Its name in the scratch folder.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// Whether `name` is shaped like a file the platform writes to its scratch folder: a spooled
/// upload (`<24 hex digits>.upload`, [`DatasetStorage::spool_path`]), an ingest's local part
/// (`part-<id>.parquet`), the table writer's temporary file beside it
/// (`.part-<id>.parquet.<pid>.<n>.tmp`), or a copy of a remote part read by a query
/// (`.tmp` and six letters or digits, `tempfile`'s default name). Anything else in the folder
/// is someone else's and left alone.
pub fn is_scratch_leftover(name: &str) -> bool {
    let id = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let part = |s: &str| {
        s.strip_prefix("part-")
            .and_then(|s| s.strip_suffix(".parquet"))
            .is_some_and(id)
    };
    if let Some(hex) = name.strip_suffix(".upload") {
        return hex.len() == 24 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    }
    if part(name) {
        return true;
    }
    if let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) {
        // A table writer's `part-<id>.parquet.<6 random letters or digits>`, or, from builds
        // before it used `tempfile`, `part-<id>.parquet.<pid>.<n>`.
        let digits = |s: Option<&str>| {
            s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        };
        if let Some((file, random)) = rest.rsplit_once('.')
            && random.len() == 6
            && random.bytes().all(|b| b.is_ascii_alphanumeric())
            && part(file)
        {
            return true;
        }
        let mut tail = rest.rsplitn(3, '.');
        let (n, pid, file) = (tail.next(), tail.next(), tail.next());
        return digits(n) && digits(pid) && file.is_some_and(part);
    }
    name.strip_prefix(".tmp")
        .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
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

    /// A fresh path in the scratch folder for a spooled upload, named by 96 random bits.
    pub fn spool_path(&self) -> PathBuf {
        let mut bytes = [0u8; 12];
        crate::store::random(&mut bytes);
        let name = data_encoding::HEXLOWER.encode(&bytes);
        self.scratch.join(format!("{name}.upload"))
    }

    /// Files in the scratch folder shaped like the platform's own ([`is_scratch_leftover`]),
    /// oldest first. A missing folder holds none.
    pub fn scratch_files(&self) -> Result<Vec<ScratchFile>, StorageError> {
        let fail = |e: std::io::Error| StorageError::Location {
            location: self.scratch.display().to_string(),
            message: format!("scratch folder: {e}"),
        };
        let listing = match std::fs::read_dir(&self.scratch) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(fail(e)),
        };
        let mut out = Vec::new();
        for entry in listing {
            let entry = entry.map_err(fail)?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !is_scratch_leftover(&name) {
                continue;
            }
            // A file gone since the listing (its ingest ended) is no leftover.
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            out.push(ScratchFile {
                name,
                size: meta.len(),
                modified: meta
                    .modified()
                    .map(chrono::DateTime::<chrono::Utc>::from)
                    .unwrap_or_default(),
            });
        }
        out.sort_by(|a, b| a.modified.cmp(&b.modified).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Removes the scratch file `name` (one [`Self::scratch_files`] listed); a file already gone
    /// is not an error.
    pub fn remove_scratch(&self, name: &str) -> Result<(), StorageError> {
        if !is_scratch_leftover(name) {
            return Err(StorageError::Location {
                location: self.scratch.display().to_string(),
                message: format!("{name:?} is not a scratch file of ours"),
            });
        }
        match std::fs::remove_file(self.scratch.join(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::Location {
                location: self.scratch.display().to_string(),
                message: format!("scratch file {name}: {e}"),
            }),
        }
    }

    /// Removes the scratch files of ours last written before `before` (when a server starts:
    /// what a crashed one left, a large spooled upload among them). Returns how many files and
    /// bytes went; a file that cannot be removed is skipped and counted in neither.
    pub fn clear_scratch(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<(u64, u64), StorageError> {
        let (mut files, mut bytes) = (0, 0);
        for f in self.scratch_files()? {
            if f.modified < before && self.remove_scratch(&f.name).is_ok() {
                files += 1;
                bytes += f.size;
            }
        }
        Ok((files, bytes))
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

    /// The Arrow schema `part` was written with, read from its Parquet footer (two ranged reads,
    /// never the whole part).
    pub async fn part_schema(&self, part: &str) -> Result<arrow_schema::SchemaRef, StorageError> {
        let fail = |message: String| StorageError::Part {
            part: part.to_string(),
            message,
        };
        let path = Self::path(part)?;
        let size = self
            .objects
            .head(&path)
            .await
            .map_err(|e| fail(e.to_string()))?
            .size;
        if size < 12 {
            return Err(fail("too short to be Parquet".into()));
        }
        let tail = self
            .objects
            .get_range(&path, size - 8..size)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if &tail[4..] != b"PAR1" {
            return Err(fail("not a Parquet file".into()));
        }
        let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
        if len + 8 > size {
            return Err(fail("its footer is longer than the file".into()));
        }
        let footer = self
            .objects
            .get_range(&path, size - 8 - len..size - 8)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let meta = parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&footer)
            .map_err(|e| fail(e.to_string()))?;
        let file = meta.file_metadata();
        let schema =
            parquet::arrow::parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata())
                .map_err(|e| fail(e.to_string()))?;
        Ok(Arc::new(schema))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_writers_temporary_part_is_a_scratch_leftover() {
        let dir = tempfile::tempdir().expect("dir");
        let schema =
            std::sync::Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
                "a",
                arrow_schema::DataType::Utf8,
                true,
            )]));
        let path = dir.path().join("part-5padiamr7o6pi6mj7txe.parquet");
        let _writer =
            pubdata_tables::TableWriter::create(&path, pubdata_tables::Format::Parquet, schema)
                .expect("writer");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(is_scratch_leftover(&names[0]), "{names:?}");
    }

    #[test]
    fn only_names_the_platform_writes_are_scratch_leftovers() {
        for ours in [
            "0123456789abcdef01234567.upload",
            "part-5padiamr7o6pi6mj7txe.parquet",
            ".part-5padiamr7o6pi6mj7txe.parquet.4242.0.tmp",
            ".part-5padiamr7o6pi6mj7txe.parquet.Ab3xYz.tmp",
            ".tmpA1b2C3",
        ] {
            assert!(is_scratch_leftover(ours), "{ours}");
        }
        for other in [
            "notes.txt",
            "metadata.db",
            "0123456789abcdef.upload",
            "0123456789ABCDEF01234567.upload",
            "part-X.parquet",
            "part-.parquet",
            ".part-abc.parquet.tmp",
            ".part-abc.parquet.x.0.tmp",
            ".notes.txt.1.0.tmp",
            ".notes.txt.Ab3xYz.tmp",
            ".part-abc.parquet.Ab3xY.tmp",
            ".tmp",
            ".tmpabc",
            "e-x/part-y.parquet",
            "../part-y.parquet",
        ] {
            assert!(!is_scratch_leftover(other), "{other}");
        }
    }

    #[test]
    fn clearing_the_scratch_folder_removes_only_old_files_of_ours() {
        let dir = tempfile::tempdir().expect("tmp");
        let scratch = dir.path().join("incoming");
        let storage = DatasetStorage::local(&dir.path().join("datasets"), &scratch).expect("local");
        let spool = storage.spool_path();
        assert!(is_scratch_leftover(
            &spool.file_name().expect("name").to_string_lossy()
        ));
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for (name, when) in [
            (
                spool
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
                old,
            ),
            (".part-abc.parquet.7.0.tmp".into(), old),
            ("notes.txt".into(), old),
            (
                "part-new.parquet".into(),
                std::time::SystemTime::now() + std::time::Duration::from_secs(60),
            ),
        ] {
            let f = std::fs::File::create(scratch.join(&name)).expect("create");
            std::io::Write::write_all(&mut &f, b"data").expect("write");
            f.set_modified(when).expect("mtime");
        }
        assert_eq!(storage.scratch_files().expect("list").len(), 3);
        let (files, bytes) = storage.clear_scratch(chrono::Utc::now()).expect("clear");
        assert_eq!((files, bytes), (2, 8));
        let mut left: Vec<String> = std::fs::read_dir(&scratch)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "part-new.parquet"]);
        assert!(storage.remove_scratch("notes.txt").is_err(), "not ours");
    }
}
