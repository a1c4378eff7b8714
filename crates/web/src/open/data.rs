//! A release's rows leaving the platform: downloads (CSV with a byte-order mark, JSON Lines,
//! the Parquet object itself with `Range` and `ETag`), and the reads the portal and the CKAN
//! adapter make. Every path first takes the one egress decision,
//! [`pubdata_platform::opening::servable_to_public`]; a raw dataset version is never reachable
//! from here, only the object a release recorded.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStoreExt};
use pubdata_platform::opening::servable_to_public;
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::{OpenCount, OpenDataset, Release};
use pubdata_query::datasets::DatasetTable;
use pubdata_query::open::Streamed;

use crate::AppState;
use crate::error::ApiError;

/// The files a release is downloaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum File {
    /// `data.csv`.
    Csv,
    /// `data.jsonl`.
    Jsonl,
    /// `data.parquet`.
    Parquet,
    /// `data.xlsx`.
    Xlsx,
}

impl File {
    /// Every file, in the order pages offer them.
    pub(crate) const ALL: [File; 4] = [File::Csv, File::Jsonl, File::Parquet, File::Xlsx];

    /// Its name in addresses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            File::Csv => "data.csv",
            File::Jsonl => "data.jsonl",
            File::Parquet => "data.parquet",
            File::Xlsx => "data.xlsx",
        }
    }

    /// Its format, as CKAN and DCAT name it.
    pub(crate) fn format(self) -> &'static str {
        match self {
            File::Csv => "CSV",
            File::Jsonl => "JSONL",
            File::Parquet => "Parquet",
            File::Xlsx => "XLSX",
        }
    }

    /// Its media type.
    pub(crate) fn media_type(self) -> &'static str {
        match self {
            File::Csv => "text/csv; charset=utf-8",
            File::Jsonl => "application/jsonl; charset=utf-8",
            File::Parquet => "application/vnd.apache.parquet",
            File::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    fn parse(name: &str) -> Result<File, ApiError> {
        File::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no file {name:?}: data.csv, data.jsonl, data.parquet or data.xlsx"),
                )
            })
    }
}

/// XLSX files built at once, server-wide.
fn xlsx_builds() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static BUILDS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    BUILDS.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(2)))
}

/// The address a release file is downloaded from.
pub(crate) fn file_url(entry_id: &str, number: i64, file: File) -> String {
    format!("/open/{entry_id}/releases/{number}/{}", file.name())
}

/// The dataset `entry_id` as the portal shows it, or not found.
pub(crate) async fn open_dataset(s: &AppState, entry_id: &str) -> Result<OpenDataset, ApiError> {
    Ok(s.store.open_dataset(entry_id).await?)
}

/// The release numbered `number` of an open dataset, if it may be served to anyone; a
/// withdrawn or restricted one is not found (its record is on the dataset page).
pub(crate) fn servable(d: &OpenDataset, number: i64) -> Result<&Release, ApiError> {
    d.history
        .iter()
        .find(|r| r.number == number)
        .filter(|r| servable_to_public(&d.entry.entry, &r.audience, r.withdrawn.is_some(), &r.plan))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "dataset {} has no release {number} that may be served",
                    d.entry.id
                ),
            )
        })
}

/// The release `r` of dataset `d` as a table for a plan, read with the schema its object was
/// written with.
pub(crate) async fn release_table(
    s: &AppState,
    d: &OpenDataset,
    r: &Release,
) -> Result<DatasetTable, ApiError> {
    // The one egress decision, taken again where the object is opened.
    if r.entry_id != d.entry.id
        || !servable_to_public(&d.entry.entry, &r.audience, r.withdrawn.is_some(), &r.plan)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("release {} may not be served", r.id),
        ));
    }
    let schema = s
        .datasets
        .part_schema(&r.object)
        .await
        .map_err(|e| ApiError::internal(format!("release {} cannot be read: {e}", r.id)))?;
    Ok(DatasetTable {
        name: "release".into(),
        schema,
        objects: s.datasets.objects(),
        parts: vec![DatasetStorage::path(&r.object).map_err(ApiError::internal)?],
        scratch: s.datasets.scratch().to_path_buf(),
    })
}

/// Counts a view, download or API call; a counter that cannot be written is logged, never
/// a visitor's error.
pub(crate) async fn count(s: &AppState, entry_id: &str, what: OpenCount) {
    if let Err(e) = s.store.count_open(entry_id, what).await {
        tracing::warn!(error = %e, "cannot count an open-data request");
    }
}

/// Download a file of a dataset's release.
pub(crate) async fn download(
    State(s): State<AppState>,
    method: Method,
    Path((id, number, file)): Path<(String, i64, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = File::parse(&file)?;
    let d = open_dataset(&s, &id).await?;
    let r = servable(&d, number)?.clone();
    send(&s, &d, &r, file, &headers, method == Method::GET).await
}

/// Download a file of a dataset's newest release.
pub(crate) async fn download_latest(
    State(s): State<AppState>,
    method: Method,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = File::parse(&file)?;
    let d = open_dataset(&s, &id).await?;
    let Some(r) = d.latest.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("dataset {id} has no release open to the public; apply for it"),
        ));
    };
    send(&s, &d, &r, file, &headers, method == Method::GET).await
}

/// Sends `file` of release `r`; `whole` is false for a HEAD request, which learns the headers
/// without a plan being run or a download counted.
async fn send(
    s: &AppState,
    d: &OpenDataset,
    r: &Release,
    file: File,
    headers: &HeaderMap,
    whole: bool,
) -> Result<Response, ApiError> {
    let disposition = format!(
        "attachment; filename=\"{}-r{}-{}\"",
        d.entry.id,
        r.number,
        file.name()
    );
    let response = match file {
        File::Parquet => parquet(s, r, headers).await?,
        _ if !whole => StatusCode::OK.into_response(),
        File::Csv | File::Jsonl => {
            let table = release_table(s, d, r).await?;
            let format = if file == File::Csv {
                Streamed::Csv
            } else {
                Streamed::Jsonl
            };
            let chunks = pubdata_query::open::stream(table, format)
                .await
                .map_err(ApiError::internal)?;
            let body = Body::from_stream(futures::StreamExt::map(chunks, |c| {
                c.map_err(|e| std::io::Error::other(e.to_string()))
            }));
            (StatusCode::OK, body).into_response()
        }
        File::Xlsx => {
            if r.rows > pubdata_query::open::XLSX_MAX_ROWS {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "too_large",
                    format!(
                        "release {} has {} rows; an XLSX sheet holds {}: download CSV or Parquet",
                        r.number,
                        r.rows,
                        pubdata_query::open::XLSX_MAX_ROWS
                    ),
                ));
            }
            // Each build holds a core and a temporary file the size of the sheet; a few at once.
            let Ok(permit) = xlsx_builds().clone().try_acquire_owned() else {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "XLSX files are being built for other visitors; try again shortly, or download CSV or Parquet",
                ));
            };
            let table = release_table(s, d, r).await?;
            let mut chunks = pubdata_query::open::xlsx(table, s.datasets.scratch().to_path_buf());
            // Nothing is sent before the sheet is complete, so a failure is still an answer.
            let first = match futures::StreamExt::next(&mut chunks).await {
                Some(Ok(bytes)) => bytes,
                Some(Err(e)) => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "too_large",
                        format!("release {} cannot be written as XLSX: {e}", r.number),
                    ));
                }
                None => Vec::new(),
            };
            let rest = futures::StreamExt::map(chunks, move |c| {
                let _held = &permit;
                c.map_err(|e| std::io::Error::other(e.to_string()))
            });
            let body = Body::from_stream(futures::StreamExt::chain(
                futures::stream::once(async move { Ok::<_, std::io::Error>(first) }),
                rest,
            ));
            (StatusCode::OK, body).into_response()
        }
    };
    // A partial read (a Parquet reader's footer, then its columns) is not a download.
    if whole && response.status() == StatusCode::OK {
        count(s, &d.entry.id, OpenCount::Download).await;
    }
    let mut response = response;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The Parquet object itself: its SHA-256 is its `ETag`, and a single `Range` is served as
/// `206`, so DuckDB, Arrow and Polars read it remotely a column at a time.
async fn parquet(s: &AppState, r: &Release, headers: &HeaderMap) -> Result<Response, ApiError> {
    let etag = format!("\"{}\"", r.output_sha256);
    let path = DatasetStorage::path(&r.object).map_err(ApiError::internal)?;
    let objects = s.datasets.objects();
    let size = objects
        .head(&path)
        .await
        .map_err(|e| ApiError::internal(format!("release {}: {e}", r.id)))?
        .size;
    let matches = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    };
    if matches(header::IF_NONE_MATCH) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    // A range is honoured only for this very object (If-Range names its ETag, or is absent).
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .map(|v| byte_range(v, size));
    let (status, start, end) = match range {
        None | Some(Range::Ignored) => (StatusCode::OK, 0, size),
        Some(Range::Unsatisfiable) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response());
        }
        Some(Range::Bytes(a, b)) => (StatusCode::PARTIAL_CONTENT, a, b),
    };
    let options = GetOptions {
        range: (status == StatusCode::PARTIAL_CONTENT).then_some(GetRange::Bounded(start..end)),
        ..Default::default()
    };
    let got = objects
        .get_opts(&path, options)
        .await
        .map_err(|e| ApiError::internal(format!("release {}: {e}", r.id)))?;
    let range = got.range.clone();
    let body = match got.payload {
        // A local file is read a megabyte at a time (the store's own stream reads 8 KiB chunks,
        // which costs the download most of its speed).
        GetResultPayload::File(file, _) => {
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            let mut file = tokio::fs::File::from_std(file);
            file.seek(std::io::SeekFrom::Start(range.start))
                .await
                .map_err(|e| ApiError::internal(format!("release {}: {e}", r.id)))?;
            let part = file.take(range.end - range.start);
            Body::from_stream(tokio_util::io::ReaderStream::with_capacity(part, 1 << 20))
        }
        GetResultPayload::Stream(stream) => Body::from_stream(stream),
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// A `Range` header read against an object of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// Bytes `start..end`.
    Bytes(u64, u64),
    /// Well formed but outside the object.
    Unsatisfiable,
    /// Not a single byte range: the whole object is sent (RFC 9110 lets a server ignore it).
    Ignored,
}

fn byte_range(value: &str, size: u64) -> Range {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Range::Ignored;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        // The last `b` bytes.
        (true, false) => match b.parse::<u64>() {
            Ok(0) => return Range::Unsatisfiable,
            Ok(n) => Some((size.saturating_sub(n), size)),
            Err(_) => None,
        },
        (false, true) => a.parse::<u64>().ok().map(|a| (a, size)),
        (false, false) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= b => Some((a, b.saturating_add(1).min(size))),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        None => Range::Ignored,
        Some((start, _)) if start >= size => Range::Unsatisfiable,
        Some((start, end)) => Range::Bytes(start, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_as_rfc_9110_reads_them() {
        assert_eq!(byte_range("bytes=0-99", 1000), Range::Bytes(0, 100));
        assert_eq!(byte_range("bytes=900-", 1000), Range::Bytes(900, 1000));
        assert_eq!(byte_range("bytes=-8", 1000), Range::Bytes(992, 1000));
        assert_eq!(byte_range("bytes=-5000", 1000), Range::Bytes(0, 1000));
        assert_eq!(byte_range("bytes=990-5000", 1000), Range::Bytes(990, 1000));
        assert_eq!(byte_range("bytes=1000-", 1000), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 1000), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=5-2", 1000), Range::Ignored);
        assert_eq!(byte_range("bytes=0-1,5-6", 1000), Range::Ignored);
        assert_eq!(byte_range("items=0-1", 1000), Range::Ignored);
        assert_eq!(byte_range("bytes=x-", 1000), Range::Ignored);
    }
}
