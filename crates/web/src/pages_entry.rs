//! An entry's page: its items and attributes, its dataset versions for those who may read its
//! data, and the upload form for its holder's officers (multipart, streamed to a spool file).

use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use pubdata_platform::access::{Action, permits};
use pubdata_platform::audit::Outcome;
use pubdata_platform::ingest::{Mode, Upload, ingest};
use pubdata_platform::store::StoreError;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::html::{esc, page};
use crate::pages::{FormTarget, PageError, entry_form, form_values, parse_entry, who};
use crate::quality_html;
use crate::uploads::{Spool, clean_name, entry_for_upload};

/// The entry's page; `message` (and `rejected`, the report of an upload none of whose rows
/// passed) tells the uploader what went wrong.
async fn render(
    s: &AppState,
    caller: &Caller,
    id: &str,
    message: Option<&str>,
    rejected: Option<&serde_json::Value>,
) -> Result<String, PageError> {
    let e = s.store.entry(id).await?;
    let mut items = String::from(
        "<table id=items><tr><th>名称 Name</th><th>标签 Label</th><th>类型 Type</th>\
         <th>个人信息 PI</th><th>分级 Grade</th></tr>",
    );
    for i in &e.entry.items {
        items.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>{:?}</td></tr>",
            esc(&i.name),
            esc(&i.label),
            i.data_type,
            i.personal_info.map(|p| p.name()).unwrap_or("-"),
            i.grade
        ));
    }
    items.push_str("</table>");
    let owner = e.entry.owner.clone();
    let principal = caller.principal.as_ref();
    let mut data = String::new();
    if permits(
        principal,
        &Action::ReadData {
            owner: owner.clone(),
        },
    ) {
        data.push_str(
            "<h2>数据集版本 Dataset versions</h2><table id=versions><tr><th>版本 Version</th>\
             <th>方式 Mode</th><th>记录 Records</th><th>读入/拒绝 Read/rejected</th>\
             <th>上传 By</th><th>文件 File</th><th>时间 At</th></tr>",
        );
        let versions = s.store.versions(id).await?;
        for v in &versions {
            data.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                v.version,
                esc(&v.mode),
                v.rows,
                v.report["rows_read"],
                v.report["rows_rejected"],
                esc(&v.uploaded_by),
                esc(&v.source_name),
                esc(&v.created_at)
            ));
        }
        data.push_str("</table>");
        // Newest first: the report of the latest upload is the one its holder looks for.
        if let Some(v) = versions.first() {
            data.push_str(&quality_html::report(
                &format!("版本 {0} 质量报告 Quality report of version {0}", v.version),
                &v.report,
            ));
        }
    }
    if permits(
        principal,
        &Action::EditEntry {
            owner: owner.clone(),
        },
    ) {
        data.push_str(&format!(
            "<p><a id=edit href=\"/catalog/{}/edit\">编辑 Edit this entry</a></p>",
            esc(id)
        ));
    }
    if permits(principal, &Action::UploadData { owner }) {
        data.push_str(&format!(
            "<h2>上传数据 Upload data</h2><form method=post action=\"/catalog/{}/upload\" \
             enctype=multipart/form-data><input type=hidden name=csrf value=\"{}\">\
             <label for=mode>方式 Mode</label><select id=mode name=mode>\
             <option value=append>追加 append</option><option value=replace>替换 replace</option></select>\
             <label for=file>文件 File (CSV, TSV, XLSX, JSON Lines, Parquet)</label>\
             <input type=file id=file name=file><p><button type=submit>上传 Upload</button></p></form>",
            esc(id),
            esc(caller.csrf.as_deref().unwrap_or(""))
        ));
    }
    let mut message = message
        .map(|m| format!("<div class=error id=message>{}</div>", esc(m)))
        .unwrap_or_default();
    if let Some(r) = rejected {
        message.push_str(&quality_html::report("被拒上传 Rejected upload", r));
    }
    let reason = |r: &Option<String>| r.as_deref().map(esc).unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>{message}<p>{}</p><p>持有单位 Owner: <b>{}</b> · 更新周期 Update cycle: {:?} · \
         修订 Revision {}</p><p>共享属性 Sharing: <b>{}</b> {}</p><p>开放属性 Open: <b>{}</b> {}</p>{}{}",
        esc(&e.entry.title),
        esc(&e.entry.description),
        esc(&e.entry.owner),
        e.entry.update_cycle,
        e.revision,
        e.entry.sharing.name(),
        reason(&e.entry.sharing_reason),
        e.entry.open.name(),
        reason(&e.entry.open_reason),
        items,
        data
    );
    Ok(page(&e.entry.title, who(caller), &body))
}

pub(crate) async fn entry(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    Ok(Html(render(&s, &caller, &id, None, None).await?))
}

/// Longest text field of the upload form (the CSRF token, the mode), in bytes. The file part
/// streams to a spool; every other field is held in memory, so each is cut off here.
const MAX_FIELD: usize = 4 << 10;

/// Most fields an upload form may have (it has three).
const MAX_FIELDS: usize = 16;

fn bad_form(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::new(e.status(), "bad_request", e.body_text())
}

/// A text field of the upload form, refused once it grows past [`MAX_FIELD`] bytes.
async fn small_field(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, ApiError> {
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

pub(crate) async fn upload(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    if caller.principal.is_none() {
        return Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into());
    }
    let entry = entry_for_upload(&s, &caller, &id).await?;
    let (mut csrf, mut mode, mut spooled, mut name) = (None, Mode::Append, None, None);
    let mut fields = 0;
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::bad_request(format!(
                "the upload form has more than {MAX_FIELDS} fields"
            ))
            .into());
        }
        match field.name() {
            Some("csrf") => csrf = Some(small_field(&mut field).await?),
            Some("mode") => {
                mode = match small_field(&mut field).await?.as_str() {
                    "replace" => Mode::Replace,
                    _ => Mode::Append,
                };
            }
            Some("file") => {
                // The form puts the token first; without it nothing is spooled.
                caller.check_csrf(csrf.as_deref())?;
                name = Some(clean_name(field.file_name()));
                let mut spool = Spool::create(&s).await?;
                while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                    spool.write(&chunk).await?;
                }
                spool.finish().await?;
                spooled = Some(spool);
            }
            // A field the form does not have is read (to reach the next) under the same limit.
            _ => {
                small_field(&mut field).await?;
            }
        }
    }
    caller.check_csrf(csrf.as_deref())?;
    let (Some(spool), Some(name)) = (spooled, name) else {
        let html = render(
            &s,
            &caller,
            &id,
            Some("选择一个文件 Choose a file to upload"),
            None,
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    };
    let upload = Upload {
        file: &spool.path,
        format: pubdata_tables::Format::from_path(std::path::Path::new(&name)).ok(),
        source_name: &name,
        mode,
        actor: caller.actor(),
    };
    match ingest(&s.store, &s.datasets, &entry, &upload).await {
        Ok(_) => Ok(Redirect::to(&format!("/catalog/{id}")).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status != StatusCode::UNPROCESSABLE_ENTITY {
                return Err(e.into());
            }
            let html = render(&s, &caller, &id, Some(&e.message), e.report.as_ref()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    }
}

async fn edit_page(
    s: &AppState,
    caller: &Caller,
    id: &str,
    values: &std::collections::HashMap<String, String>,
    revision: i64,
    errors: &[String],
) -> Result<String, PageError> {
    let e = s.store.entry(id).await?;
    let owner = s.store.organization(&e.entry.owner).await?;
    let action = format!("/catalog/{id}/edit");
    let target = FormTarget {
        action: &action,
        heading: "编辑目录条目 Edit catalog entry",
        revision: Some(revision),
    };
    let body = entry_form(caller, &[(owner.code, owner.name)], values, errors, &target);
    Ok(page("编辑目录条目", who(caller), &body))
}

pub(crate) async fn edit_form(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    if caller.principal.is_none() {
        return Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into());
    }
    let e = s.store.entry(&id).await?;
    caller
        .may(
            &s,
            &Action::EditEntry {
                owner: e.entry.owner.clone(),
            },
            &format!("entry:{id}"),
        )
        .await?;
    let values = form_values(&e.entry);
    Ok(Html(
        edit_page(&s, &caller, &id, &values, e.revision, &[]).await?,
    ))
}

pub(crate) async fn edit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    if caller.principal.is_none() {
        return Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into());
    }
    caller.check_csrf(f.get("csrf").map(String::as_str))?;
    let current = s.store.entry(&id).await?;
    // Authorized against the stored owner, whatever the form says.
    caller
        .may(
            &s,
            &Action::EditEntry {
                owner: current.entry.owner.clone(),
            },
            &format!("entry:{id}"),
        )
        .await?;
    let revision = f
        .get("revision")
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(current.revision);
    let (entry, mut errors) = parse_entry(&f);
    if let (Some(entry), true) = (entry, errors.is_empty()) {
        match s
            .store
            .update_entry(&id, revision, &entry, caller.actor())
            .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/catalog/{id}")).into_response()),
            Err(StoreError::Rules(v)) => errors.extend(
                v.0.into_iter()
                    .map(|x| format!("{}: {}", x.field, x.message)),
            ),
            Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let html = edit_page(&s, &caller, &id, &f, revision, &errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

/// The audit log for those who may read it, filtered by actor, action and outcome.
pub(crate) async fn audit(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    if caller.principal.is_none() {
        return Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into());
    }
    caller.may(&s, &Action::ReadAudit, "audit").await?;
    let pick = |k: &str| q.get(k).cloned().filter(|v| !v.is_empty());
    let outcome = match pick("outcome").as_deref() {
        Some("success") => Some(Outcome::Success),
        Some("denied") => Some(Outcome::Denied),
        Some("failed") => Some(Outcome::Failed),
        _ => None,
    };
    let filter = pubdata_platform::store::AuditFilter {
        actor: pick("actor"),
        action: pick("action"),
        target: pick("target"),
        outcome,
        after: pick("after").and_then(|a| a.parse().ok()),
        limit: Some(500),
    };
    let entries = s.store.audit_entries(&filter).await?;
    let mut rows = String::from(
        "<table id=audit><tr><th>#</th><th>时间 At</th><th>操作人 Actor</th><th>操作 Action</th>\
         <th>对象 Target</th><th>结果 Outcome</th><th>详情 Detail</th></tr>",
    );
    for e in &entries {
        let r = &e.record;
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.seq,
            esc(&r.at),
            esc(&r.actor),
            esc(&r.action),
            esc(&r.target),
            r.outcome.name(),
            esc(&r.detail)
        ));
    }
    rows.push_str("</table>");
    let v = |k: &str| esc(q.get(k).map(String::as_str).unwrap_or(""));
    let body = format!(
        "<h1>审计日志 Audit log</h1><form method=get>\
         <label for=actor>操作人 Actor</label><input type=text id=actor name=actor value=\"{}\">\
         <label for=action>操作 Action</label><input type=text id=action name=action value=\"{}\">\
         <label for=outcome>结果 Outcome</label><input type=text id=outcome name=outcome value=\"{}\">\
         <p><button type=submit>筛选 Filter</button></p></form><p class=muted>{} entries shown \
         (at most 500; use ?after=N for the next page)</p>{rows}",
        v("actor"),
        v("action"),
        v("outcome"),
        entries.len()
    );
    Ok(Html(page("审计日志", who(&caller), &body)))
}
