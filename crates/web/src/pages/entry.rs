//! An entry's page: its items and attributes, its dataset versions and latest quality report for
//! those who may read its data, and the upload form for its holder's officers (multipart,
//! streamed to a spool file).

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pubdata_platform::access::Action;
use pubdata_platform::ingest::{IngestError, Mode, RejectLimit, Upload, ingest};
use pubdata_platform::quality::QualityReport;
use pubdata_platform::store::{StoredEntry, VersionInfo};

use super::{PageError, layout, page, quality, signed_in, when, who};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::l10n::Texts;
use crate::uploads::{Spool, clean_name, entry_for_upload};

/// What went wrong with an upload, shown above the entry.
struct Problem<'a> {
    message: &'a str,
    /// The report of an upload none of whose rows passed.
    rejected: Option<&'a QualityReport>,
}

fn items_table(t: &Texts, e: &StoredEntry) -> Markup {
    html! {
        table #items {
            tr {
                th { (t.t("item-name")) } th { (t.t("item-label")) } th { (t.t("item-type")) }
                th { (t.t("item-pi")) } th { (t.t("item-grade")) } th { (t.t("item-required")) }
            }
            @for i in &e.entry.items {
                tr {
                    td { (i.name) }
                    td { (i.label) }
                    td { (t.label(i.data_type)) }
                    td { (i.personal_info.map(|p| t.label(p)).unwrap_or_else(|| "-".into())) }
                    td { (t.label(i.grade)) }
                    td { @if i.required { "✓" } }
                }
            }
        }
    }
}

/// The versions table and the latest version's quality report.
fn versions(t: &Texts, versions: &[(VersionInfo, QualityReport)]) -> Markup {
    html! {
        h2 { (t.t("versions-heading")) }
        table #versions {
            tr {
                th { (t.t("versions-version")) } th { (t.t("versions-mode")) }
                th { (t.t("versions-records")) } th { (t.t("versions-read-rejected")) }
                th { (t.t("versions-by")) } th { (t.t("versions-file")) } th { (t.t("versions-at")) }
            }
            @for (v, r) in versions {
                tr {
                    td { (v.version) }
                    td { (mode_label(t, &v.mode)) }
                    td { (v.rows) }
                    td { (r.rows_read) " / " (r.rows_rejected) }
                    td { (v.uploaded_by) }
                    td { (v.source_name) }
                    td { (when(t, &v.created_at)) }
                }
            }
        }
        // Newest first: the report of the latest upload is the one its holder looks for.
        @if let Some((v, r)) = versions.first() {
            (quality::report(
                t,
                &t.tf("quality-of-version", &[("version", v.version.into())]),
                r,
            ))
        }
    }
}

/// How a version was made, in words (the stored name if it is not one the page knows).
fn mode_label(t: &Texts, mode: &str) -> String {
    match mode {
        "append" => t.t("mode-append"),
        "replace" => t.t("mode-replace"),
        other => other.to_string(),
    }
}

fn upload_form(t: &Texts, id: &str, csrf: &str) -> Markup {
    html! {
        h2 { (t.t("upload-heading")) }
        form method="post" action={ "/catalog/" (id) "/upload" } enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label for="mode" { (t.t("upload-mode")) }
            select #mode name="mode" {
                option value="append" { (t.t("mode-append")) }
                option value="replace" { (t.t("mode-replace")) }
            }
            label for="max_rejected" { (t.t("upload-max-rejected")) }
            input type="text" #max_rejected name="max_rejected" placeholder="0 · 10 · 5% · all";
            p.muted { (t.t("upload-max-rejected-help")) }
            label for="file" { (t.t("upload-file")) " (CSV, TSV, XLSX, JSON Lines, Parquet)" }
            input type="file" #file name="file";
            p { button type="submit" { (t.t("upload-submit")) } }
        }
    }
}

/// The entry's page, with `problem` when an upload failed.
async fn render(
    s: &AppState,
    caller: &Caller,
    t: &Texts,
    id: &str,
    problem: Option<Problem<'_>>,
) -> Result<Html<String>, PageError> {
    let e = s.store.entry(id).await?;
    let owner = || e.entry.owner.clone();
    let data = if caller.permits(&Action::ReadData { owner: owner() }) {
        let mut listed = Vec::new();
        for v in s.store.versions(id).await? {
            let r = v.quality_report()?;
            listed.push((v, r));
        }
        Some(listed)
    } else {
        None
    };
    let reason = |r: &Option<String>| r.clone().unwrap_or_default();
    let releases = super::publish::section(s, caller, t, &e).await?;
    let owner_name = match s.store.organization(&e.entry.owner).await {
        Ok(o) => o.name,
        Err(_) => e.entry.owner.clone(),
    };
    let body = html! {
        h1 { (e.entry.title) }
        @if let Some(p) = &problem {
            div.error #message { (p.message) }
            @if let Some(r) = p.rejected {
                (quality::report(t, &t.t("upload-rejected"), r))
            }
        }
        p { (e.entry.description) }
        p {
            (t.t("entry-owner")) ": "
            a href={ "/catalog?owner=" (e.entry.owner) } {
                b { (owner_name) }
            }
            " (" (e.entry.owner) ")"
            " · " (t.t("entry-update-cycle")) ": " (t.label(e.entry.update_cycle))
            " · " (t.tf("entry-revision", &[("n", e.revision.into())]))
        }
        p #sharing {
            (t.t("entry-sharing")) ": " b { (t.label(e.entry.sharing)) }
            " " (reason(&e.entry.sharing_reason))
        }
        p #open {
            (t.t("entry-open")) ": " b { (t.label(e.entry.open)) }
            " " (reason(&e.entry.open_reason))
        }
        (items_table(t, &e))
        @if let Some(listed) = &data {
            (versions(t, listed))
        }
        (releases)
        @if caller.permits(&Action::EditEntry { owner: owner() }) {
            p { a #edit href={ "/catalog/" (id) "/edit" } { (t.t("entry-edit")) } }
        }
        @if caller.permits(&Action::UploadData { owner: owner() }) {
            (upload_form(t, id, caller.csrf.as_deref().unwrap_or("")))
        }
    };
    Ok(page(layout::page(t, &e.entry.title, who(caller), body)))
}

pub(super) async fn entry(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    render(&s, &caller, &t, &id, None).await
}

/// Longest text field of the upload form (the CSRF token, the mode), in bytes. The file part
/// streams to a spool; every other field is held in memory, so each is cut off here.
const MAX_FIELD: usize = 4 << 10;

/// Most fields an upload form may have (it has three).
const MAX_FIELDS: usize = 16;

fn bad_form(e: MultipartError) -> ApiError {
    ApiError::new(e.status(), "bad_request", e.body_text())
}

/// A text field of the upload form, refused once it grows past [`MAX_FIELD`] bytes.
async fn small_field(field: &mut Field<'_>) -> Result<String, ApiError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
        if text.len() + chunk.len() > MAX_FIELD {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the upload form's fields other than the file are limited to {MAX_FIELD} bytes"
                ),
            ));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| ApiError::bad_request("a form field is not UTF-8 text"))
}

/// The upload form's fields besides the file, as read.
struct UploadFields {
    csrf: Option<String>,
    mode: Mode,
    max_rejected: RejectLimit,
}

/// The file as spooled, with the name the uploader gave it.
struct Spooled {
    spool: Spool,
    name: String,
}

/// Reads the upload form: its small fields, and the file streamed to a spool once the CSRF
/// token before it has been checked.
async fn read_upload(
    s: &AppState,
    caller: &Caller,
    form: &mut Multipart,
) -> Result<(UploadFields, Option<Spooled>), PageError> {
    let mut fields = UploadFields {
        csrf: None,
        mode: Mode::Append,
        max_rejected: RejectLimit::default(),
    };
    let mut spooled = None;
    let mut count = 0;
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(ApiError::bad_request(format!(
                "the upload form has more than {MAX_FIELDS} fields"
            ))
            .into());
        }
        match field.name() {
            Some("csrf") => fields.csrf = Some(small_field(&mut field).await?),
            Some("mode") => {
                fields.mode = match small_field(&mut field).await?.as_str() {
                    "replace" => Mode::Replace,
                    _ => Mode::Append,
                };
            }
            Some("max_rejected") => {
                let text = small_field(&mut field).await?;
                if !text.trim().is_empty() {
                    fields.max_rejected = text
                        .parse()
                        .map_err(|e| ApiError::bad_request(format!("max_rejected: {e}")))?;
                }
            }
            Some("file") => {
                // The form puts the token first; without it nothing is spooled.
                caller.check_csrf(fields.csrf.as_deref())?;
                let name = clean_name(field.file_name());
                let mut spool = Spool::create(s).await?;
                while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                    spool.write(&chunk).await?;
                }
                spool.finish().await?;
                spooled = Some(Spooled { spool, name });
            }
            // A field the form does not have is read (to reach the next) under the same limit.
            _ => {
                small_field(&mut field).await?;
            }
        }
    }
    Ok((fields, spooled))
}

pub(super) async fn upload(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    signed_in(&caller)?;
    let entry = entry_for_upload(&s, &caller, &id).await?;
    let (fields, spooled) = read_upload(&s, &caller, &mut form).await?;
    caller.check_csrf(fields.csrf.as_deref())?;
    let Some(Spooled { spool, name }) = spooled else {
        let message = t.t("upload-choose-file");
        let problem = Problem {
            message: &message,
            rejected: None,
        };
        let html = render(&s, &caller, &t, &id, Some(problem)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let upload = Upload {
        file: &spool.path,
        format: pubdata_tables::Format::from_path(std::path::Path::new(&name)).ok(),
        source_name: &name,
        mode: fields.mode,
        actor: caller.actor(),
        max_rejected: fields.max_rejected,
    };
    match ingest(&s.store, &s.datasets, &entry, &upload).await {
        Ok(_) => Ok(Redirect::to(&format!("/catalog/{id}")).into_response()),
        Err(e) => {
            let rejected = match &e {
                IngestError::NothingAccepted { report, .. }
                | IngestError::TooManyRejected { report, .. } => Some(report.as_ref().clone()),
                _ => None,
            };
            let e = ApiError::from(e);
            if e.status != StatusCode::UNPROCESSABLE_ENTITY {
                return Err(e.into());
            }
            let problem = Problem {
                message: &e.message,
                rejected: rejected.as_ref(),
            };
            let html = render(&s, &caller, &t, &id, Some(problem)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}
