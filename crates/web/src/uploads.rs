//! Uploads for aggregation: the body streams to a spool file under `incoming/` (never held in
//! memory, cut off at the size limit), then goes through [`pubdata_platform::ingest`]. The
//! uploader's file name is only recorded; files on the server get names of their own.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use pubdata_platform::access::Action;
use pubdata_platform::ingest::{Mode, Upload, Version, ingest};
use pubdata_platform::store::{StoredEntry, VersionInfo};
use pubdata_tables::Format;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_versions, upload))
}

/// How to read an upload.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// `append` to the current version, or `replace` it (default: append).
    mode: Option<Mode>,
    /// `csv`, `tsv`, `xlsx`, `jsonl` or `parquet` (default: from the name's extension).
    format: Option<String>,
    /// The file's name, recorded with the version.
    name: Option<String>,
    /// Rejected rows that still let the others become a version: a number (10), a share (5%) or
    /// `all` (default: none, so one rejected row refuses the whole file).
    max_rejected: Option<String>,
}

/// The entry `id`, once `caller` may upload data to it (a refusal is audited), for every upload
/// door of the server.
pub(crate) async fn entry_for_upload(
    s: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<StoredEntry, ApiError> {
    let entry = s.store.entry(id).await?;
    caller
        .may(
            s,
            &Action::UploadData {
                owner: entry.entry.owner.clone(),
            },
            &format!("entry:{id}"),
        )
        .await?;
    Ok(entry)
}

/// The uploader's name for the file, cut to something printable; only ever recorded.
pub(crate) fn clean_name(name: Option<&str>) -> String {
    let name = name.unwrap_or("upload");
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim_matches('.').is_empty() {
        "upload".into()
    } else {
        cleaned
    }
}

/// A spool file that removes itself when dropped.
pub(crate) struct Spool {
    pub path: std::path::PathBuf,
    file: tokio::fs::File,
    written: u64,
    max: u64,
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Spool {
    /// A new spool file in the scratch folder, with a name of its own (one the platform knows
    /// as its own, so that what a crash leaves is cleared at the next start or by a sweep).
    pub async fn create(state: &AppState) -> Result<Spool, ApiError> {
        let dir = state.datasets.scratch().to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| ApiError::internal(format!("{}: {e}", dir.display())))?;
        let path = state.datasets.spool_path();
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
        Ok(Spool {
            path,
            file,
            written: 0,
            max: state.max_upload,
        })
    }

    /// Appends a chunk, refusing to grow past the limit.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), ApiError> {
        self.written += data.len() as u64;
        if self.written > self.max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("uploads are limited to {} bytes", self.max),
            ));
        }
        self.file.write_all(data).await.map_err(ApiError::internal)
    }

    /// Flushes; refuses an empty upload.
    pub async fn finish(&mut self) -> Result<(), ApiError> {
        self.file.flush().await.map_err(ApiError::internal)?;
        if self.written == 0 {
            return Err(ApiError::bad_request("the upload is empty"));
        }
        Ok(())
    }
}

async fn spool(state: &AppState, mut body: Body) -> Result<Spool, ApiError> {
    let mut spool = Spool::create(state).await?;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("the upload broke off: {e}")))?;
        if let Ok(data) = frame.into_data() {
            spool.write(&data).await?;
        }
    }
    spool.finish().await?;
    Ok(spool)
}

/// Upload a file as the raw body to aggregate it into a new version; its rows are checked
/// against the entry's data items and the quality report says what was rejected.
///
/// Who may call it: a department officer of the owner.
#[utoipa::path(post, path = "/api/v1/catalog/{id}/versions", tag = "data",
    params(("id" = String, Path, description = "The entry's id."), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "The new version.", body = Version),
        (status = 409, description = "Another version was written meanwhile.", body = ErrorBody),
    ))]
async fn upload(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<UploadQuery>, QueryRejection>,
    body: Body,
) -> Result<(StatusCode, Json<Version>), ApiError> {
    let q = q
        .map(|Query(q)| q)
        .map_err(|r| ApiError::bad_request(r.body_text()))?;
    caller.check_csrf_header(&headers)?;
    let entry = entry_for_upload(&s, &caller, &id).await?;
    let name = clean_name(q.name.as_deref());
    let format = match q.format.as_deref() {
        Some(f) => Some(
            f.parse::<Format>()
                .map_err(|e| ApiError::bad_request(format!("format: {e}")))?,
        ),
        None => Format::from_path(std::path::Path::new(&name)).ok(),
    };
    let Some(format) = format else {
        return Err(ApiError::bad_request(
            "format: give ?format=csv|tsv|xlsx|jsonl|parquet or a file name with that extension",
        ));
    };
    let max_rejected = match q.max_rejected.as_deref() {
        Some(text) => text
            .parse()
            .map_err(|e| ApiError::bad_request(format!("max_rejected: {e}")))?,
        None => Default::default(),
    };
    let spooled = spool(&s, body).await?;
    let upload = Upload {
        file: &spooled.path,
        format: Some(format),
        source_name: &name,
        mode: q.mode.unwrap_or_default(),
        actor: caller.actor(),
        max_rejected,
    };
    match ingest(&s.store, &s.datasets, &entry, &upload).await {
        Ok(v) => Ok((StatusCode::CREATED, Json(v))),
        Err(e) => Err(e.into()),
    }
}

/// The entry's dataset versions, newest first, with their quality reports.
///
/// Who may call it: an authority administrator, an auditor; a department officer of the owner.
#[utoipa::path(get, path = "/api/v1/catalog/{id}/versions", tag = "data",
    params(("id" = String, Path, description = "The entry's id.")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The versions.", body = Vec<VersionInfo>)))]
async fn list_versions(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionInfo>>, ApiError> {
    let entry = s.store.entry(&id).await?;
    caller
        .may(
            &s,
            &Action::ReadData {
                owner: entry.entry.owner.clone(),
            },
            &format!("entry:{id}"),
        )
        .await?;
    Ok(Json(s.store.versions(&id).await?))
}
