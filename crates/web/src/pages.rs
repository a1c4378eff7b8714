//! Server-rendered pages: home with the statistics, the catalog and its search, an entry, sign-in
//! and the form for a new entry. Forms post with the session's CSRF token.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use pubdata_platform::access::{Action, permits};
use pubdata_platform::catalog::{CatalogEntry, DataItem, DataType, SecurityGrade};
use pubdata_platform::store::{CredentialKind, EntryQuery, StoreError, StoredEntry};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::ApiError;
use crate::html::{esc, page};

/// How long a browser session lives.
const SESSION_HOURS: i64 = 12;

/// Largest sign-in or sign-out form: a name (256 bytes at most), a password (1 KiB) and a token,
/// URL-encoded (up to three bytes per byte). A form is read whole before any check, so the
/// limit is what one post can make the server hold.
const SIGN_IN_FORM: usize = 16 << 10;

/// Largest entry form: `MAX_ITEMS` lines of items and four texts of `MAX_TEXT` characters,
/// URL-encoded (a Chinese character takes nine bytes), with room to spare.
const ENTRY_FORM: usize = 512 << 10;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/catalog", get(catalog))
        .route(
            "/catalog/new",
            get(new_entry_form)
                .post(new_entry)
                .layer(DefaultBodyLimit::max(ENTRY_FORM)),
        )
        .route("/catalog/{id}", get(crate::pages_entry::entry))
        .route(
            "/catalog/{id}/edit",
            get(crate::pages_entry::edit_form)
                .post(crate::pages_entry::edit)
                .layer(DefaultBodyLimit::max(ENTRY_FORM)),
        )
        .route(
            "/catalog/{id}/upload",
            // The spool enforces the platform's own limit as the file streams in, and the form's
            // other fields are read up to a small limit each (`pages_entry::upload`).
            axum::routing::post(crate::pages_entry::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/audit", get(crate::pages_entry::audit))
        .route("/jobs/{id}", get(crate::pages_jobs::job))
        .route(
            "/login",
            get(login_form)
                .post(login)
                .layer(DefaultBodyLimit::max(SIGN_IN_FORM)),
        )
        .route(
            "/logout",
            axum::routing::post(logout).layer(DefaultBodyLimit::max(SIGN_IN_FORM)),
        )
}

/// A page-flavoured error: the same status, shown as a page.
pub(crate) struct PageError(pub(crate) ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let body = format!(
            "<h1>{}</h1><p class=error>{}</p>",
            e.status.as_u16(),
            esc(&e.message)
        );
        (e.status, Html(page("error", None, &body))).into_response()
    }
}

pub(crate) fn who(c: &Caller) -> Option<(&pubdata_platform::access::Principal, &str)> {
    c.principal
        .as_ref()
        .map(|p| (p, c.csrf.as_deref().unwrap_or("")))
}

fn entry_rows(entries: &[StoredEntry]) -> String {
    let mut rows = String::from(
        "<table><tr><th>标题 Title</th><th>持有单位 Owner</th><th>数据项 Items</th>\
         <th>共享 Sharing</th><th>开放 Open</th></tr>",
    );
    for e in entries {
        rows.push_str(&format!(
            "<tr><td><a href=\"/catalog/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.id),
            esc(&e.entry.title),
            esc(&e.entry.owner),
            e.entry.items.len(),
            e.entry.sharing.name(),
            e.entry.open.name()
        ));
    }
    rows.push_str("</table>");
    rows
}

async fn home(State(s): State<AppState>, caller: Caller) -> Result<Html<String>, PageError> {
    let st = s.store.stats().await?;
    let (recent, _) = s
        .store
        .entries(&EntryQuery {
            limit: Some(10),
            ..Default::default()
        })
        .await?;
    let card =
        |label: &str, v: i64| format!("<div class=card><b data-stat>{v}</b>{}</div>", esc(label));
    let body = format!(
        "<h1>公共数据平台 Public data platform</h1><section class=cards id=stats>{}{}{}{}{}{}{}</section>\
         <h2>目录检索 Search the catalog</h2><form action=/catalog method=get>\
         <input type=search name=q placeholder=\"标题、描述或数据项 title, description or item\"></form>\
         <h2>最近更新 Recently changed</h2>{}",
        card("目录条目 Catalog entries", st.catalog_entries),
        card("数据项 Data items", st.data_items),
        card("归集记录 Records aggregated", st.records_aggregated),
        card("共享调用 Sharing calls", st.sharing_calls),
        card("申请服务 Applications served", st.applications_served),
        card("开放数据集 Open datasets", st.open_datasets),
        card("开放数据项 Open data items", st.open_data_items),
        entry_rows(&recent)
    );
    Ok(Html(page("首页", who(&caller), &body)))
}

async fn catalog(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let text = q.get("q").cloned().unwrap_or_default();
    let (list, total) = s
        .store
        .entries(&EntryQuery {
            text: Some(text.clone()),
            owner: q.get("owner").cloned().filter(|o| !o.is_empty()),
            limit: Some(100),
            offset: None,
        })
        .await?;
    let body = format!(
        "<h1>公共数据目录 Catalog</h1><form method=get><input type=search name=q value=\"{}\" \
         placeholder=\"检索 search\"></form><p class=muted id=total>{total} 条 entries</p>{}",
        esc(&text),
        entry_rows(&list)
    );
    Ok(Html(page("目录", who(&caller), &body)))
}

fn login_page(message: Option<&str>) -> Html<String> {
    let error = message
        .map(|m| format!("<p class=error>{}</p>", esc(m)))
        .unwrap_or_default();
    Html(page(
        "登录",
        None,
        &format!(
            "<h1>登录 Sign in</h1>{error}<form method=post action=/login>\
             <label for=username>用户名 User name</label><input type=text id=username name=username autocomplete=username>\
             <label for=password>密码 Password</label><input type=password id=password name=password autocomplete=current-password>\
             <p><button type=submit>登录 Sign in</button></p></form>"
        ),
    ))
}

async fn login_form() -> Html<String> {
    login_page(None)
}

/// Whether a browser's POST comes from another site. Sign-in has no session to carry a CSRF
/// token yet, so this is what keeps another site from signing a visitor in to an account of its
/// choosing. A browser says so itself (`Sec-Fetch-Site: cross-site`), or its `Origin` names a host
/// that is neither the one the request was sent to nor the one a proxy forwarded it for (a form on
/// another site cannot set headers, so a forwarded host cannot be forged by one).
fn cross_site(headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h)
    else {
        // `null` (a sandboxed or privacy-sensitive context) or unreadable.
        return true;
    };
    let host = text(header::HOST).or_else(|| uri.authority().map(|a| a.as_str()));
    let forwarded = text(header::HeaderName::from_static("x-forwarded-host"));
    ![host, forwarded].into_iter().flatten().any(|h| {
        h.split(',')
            .any(|h| h.trim().eq_ignore_ascii_case(origin_host))
    })
}

/// The session cookie's attributes; `Secure` when the portal is served over HTTPS.
fn cookie_attributes(s: &AppState, max_age: i64) -> String {
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    format!("Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

async fn login(
    State(s): State<AppState>,
    client: crate::auth::ClientAddr,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    if cross_site(&headers, &uri) {
        let name: String = get("username").chars().take(64).collect();
        // Anyone can send this header: coalesced per client like every sign-in refusal.
        s.store
            .audit_refusal(
                &name,
                "sign_in",
                &format!("user:{name}"),
                "session: posted from another site",
                &client.0,
            )
            .await?;
        return Ok((
            StatusCode::FORBIDDEN,
            login_page(Some("请从本站登录 Sign in from this site's own page")),
        )
            .into_response());
    }
    match s
        .store
        .sign_in(
            get("username"),
            get("password"),
            &client.0,
            CredentialKind::Session,
            chrono::Duration::hours(SESSION_HOURS),
        )
        .await
    {
        Ok((_, cred)) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; {}",
                cred.token,
                cookie_attributes(&s, SESSION_HOURS * 3600)
            );
            let mut r = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(StoreError::Throttled { seconds }) => {
            let message = format!(
                "登录失败次数过多，请 {seconds} 秒后再试 Too many failed sign-ins; try again in {seconds} s"
            );
            let mut r = (StatusCode::TOO_MANY_REQUESTS, login_page(Some(&message))).into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            Ok(r)
        }
        Err(StoreError::Busy { seconds }) => {
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                login_page(Some(
                    "系统繁忙，请稍后再试 The server is busy; try again shortly",
                )),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            Ok(r)
        }
        Err(StoreError::BadCredentials) => Ok((
            StatusCode::UNAUTHORIZED,
            login_page(Some("用户名或密码错误 Wrong user name or password")),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn logout(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    if let Some(token) = &caller.token {
        caller.check_csrf(f.get("csrf").map(String::as_str))?;
        s.store.revoke(token).await?;
    }
    let mut r = Redirect::to("/").into_response();
    let cookie = format!("{SESSION_COOKIE}=; {}", cookie_attributes(&s, 0));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The organizations the caller may create entries for.
async fn owners_for(s: &AppState, caller: &Caller) -> Result<Vec<(String, String)>, PageError> {
    Ok(s.store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| {
            permits(
                caller.principal.as_ref(),
                &Action::CreateEntry {
                    owner: o.code.clone(),
                },
            )
        })
        .map(|o| (o.code, o.name))
        .collect())
}

/// Where an entry form posts, its heading, and the revision an edit was made from.
pub(crate) struct FormTarget<'a> {
    pub action: &'a str,
    pub heading: &'a str,
    pub revision: Option<i64>,
}

const NEW: FormTarget<'static> = FormTarget {
    action: "/catalog/new",
    heading: "新建目录条目 New catalog entry",
    revision: None,
};

pub(crate) fn entry_form(
    caller: &Caller,
    owners: &[(String, String)],
    values: &HashMap<String, String>,
    errors: &[String],
    target: &FormTarget<'_>,
) -> String {
    let v = |k: &str| esc(values.get(k).map(String::as_str).unwrap_or(""));
    let select = |name: &str, options: &[&str]| {
        let current = values.get(name).map(String::as_str).unwrap_or(options[0]);
        let opts: String = options
            .iter()
            .map(|o| {
                let sel = if *o == current { " selected" } else { "" };
                format!("<option{sel}>{o}</option>")
            })
            .collect();
        format!("<select id={name} name={name}>{opts}</select>")
    };
    let owner_options: String = owners
        .iter()
        .map(|(code, name)| {
            let sel = if values.get("owner") == Some(code) {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{sel}>{} ({})</option>",
                esc(code),
                esc(name),
                esc(code)
            )
        })
        .collect();
    let errors = if errors.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=error id=errors><ul>{}</ul></div>",
            errors
                .iter()
                .map(|e| format!("<li>{}</li>", esc(e)))
                .collect::<String>()
        )
    };
    format!(
        "<h1>{}</h1>{errors}<form method=post action=\"{}\">\
         <input type=hidden name=csrf value=\"{}\">{}\
         <label for=title>标题 Title</label><input type=text id=title name=title value=\"{}\">\
         <label for=description>描述 Description</label><input type=text id=description name=description value=\"{}\">\
         <label for=owner>持有单位 Owner</label><select id=owner name=owner>{owner_options}</select>\
         <label for=update_cycle>更新周期 Update cycle</label>{}\
         <label for=sharing>共享属性 Sharing</label>{}\
         <label for=sharing_reason>不予/有条件共享理由 Reason for limited sharing</label><input type=text id=sharing_reason name=sharing_reason value=\"{}\">\
         <label for=open>开放属性 Open</label>{}\
         <label for=open_reason>受限/禁止开放理由 Reason for limited opening</label><input type=text id=open_reason name=open_reason value=\"{}\">\
         <label for=items>数据项 Data items</label>\
         <p class=muted>One per line: name | label | type (text, integer, decimal, date, timestamp, boolean) | grade (L1-L4) | personal information type (optional, e.g. cn_resident_id) | required (optional: required)</p>\
         <textarea id=items name=items>{}</textarea><p><button type=submit>保存 Save</button></p></form>",
        esc(target.heading),
        esc(target.action),
        esc(caller.csrf.as_deref().unwrap_or("")),
        target
            .revision
            .map(|r| format!("<input type=hidden name=revision value={r}>"))
            .unwrap_or_default(),
        v("title"),
        v("description"),
        select(
            "update_cycle",
            &[
                "monthly",
                "real_time",
                "daily",
                "weekly",
                "quarterly",
                "yearly",
                "irregular"
            ]
        ),
        select("sharing", &["unconditional", "conditional", "none"]),
        v("sharing_reason"),
        select("open", &["unconditional", "restricted", "prohibited"]),
        v("open_reason"),
        v("items")
    )
}

async fn new_entry_form(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Html<String>, PageError> {
    if caller.principal.is_none() {
        return Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into());
    }
    let owners = owners_for(&s, &caller).await?;
    if owners.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "denied",
            "your role may not create catalog entries",
        )
        .into());
    }
    let body = entry_form(&caller, &owners, &HashMap::new(), &[], &NEW);
    Ok(Html(page("新建目录条目", who(&caller), &body)))
}

/// Parses the items text area; errors name the line.
fn parse_items(text: &str) -> Result<Vec<DataItem>, Vec<String>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        if f.len() < 4 {
            errors.push(format!(
                "items line {}: expected name | label | type | grade, got {:?}",
                n + 1,
                line
            ));
            continue;
        }
        let data_type: Result<DataType, _> =
            serde_json::from_value(serde_json::Value::String(f[2].to_lowercase()))
                .map_err(|_| format!("unknown type {:?}", f[2]));
        let grade: Result<SecurityGrade, _> =
            serde_json::from_value(serde_json::Value::String(f[3].to_uppercase()))
                .map_err(|_| format!("unknown grade {:?} (L1 to L4)", f[3]));
        let pii = match f.get(4).filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(p) => serde_json::from_value(serde_json::Value::String(p.to_string()))
                .map(Some)
                .map_err(|_| format!("unknown personal information type {p:?}")),
        };
        match (data_type, grade, pii) {
            (Ok(data_type), Ok(grade), Ok(personal_info)) => items.push(DataItem {
                name: f[0].to_string(),
                label: f[1].to_string(),
                data_type,
                personal_info,
                grade,
                required: f.get(5).is_some_and(|r| *r == "required"),
                key: false,
            }),
            (a, b, c) => {
                for e in [a.err(), b.err(), c.err()].into_iter().flatten() {
                    errors.push(format!("items line {}: {e}", n + 1));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

/// Reads an entry form: the entry when its fields parse, and every problem found.
pub(crate) fn parse_entry(f: &HashMap<String, String>) -> (Option<CatalogEntry>, Vec<String>) {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let reason = |k: &str| Some(get(k)).filter(|r| !r.trim().is_empty());
    let field = |k: &str| serde_json::Value::String(get(k));
    let mut errors = Vec::new();
    let items = parse_items(&get("items")).unwrap_or_else(|e| {
        errors.extend(e);
        Vec::new()
    });
    let parsed = (|| -> Result<CatalogEntry, serde_json::Error> {
        Ok(CatalogEntry {
            title: get("title"),
            description: get("description"),
            owner: get("owner"),
            items,
            update_cycle: serde_json::from_value(field("update_cycle"))?,
            sharing: serde_json::from_value(field("sharing"))?,
            sharing_reason: reason("sharing_reason"),
            open: serde_json::from_value(field("open"))?,
            open_reason: reason("open_reason"),
        })
    })();
    match parsed {
        Ok(e) => (Some(e), errors),
        Err(e) => {
            errors.push(format!("form: {e}"));
            (None, errors)
        }
    }
}

/// The form fields of a stored entry, to edit it.
pub(crate) fn form_values(e: &CatalogEntry) -> HashMap<String, String> {
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let items: Vec<String> = e
        .items
        .iter()
        .map(|i| {
            format!(
                "{} | {} | {} | {} | {} | {}",
                i.name,
                i.label,
                name(serde_json::to_value(i.data_type).unwrap_or_default()),
                name(serde_json::to_value(i.grade).unwrap_or_default()),
                i.personal_info.map(|p| p.name()).unwrap_or(""),
                if i.required { "required" } else { "" }
            )
        })
        .collect();
    HashMap::from([
        ("title".to_string(), e.title.clone()),
        ("description".to_string(), e.description.clone()),
        ("owner".to_string(), e.owner.clone()),
        (
            "update_cycle".to_string(),
            name(serde_json::to_value(e.update_cycle).unwrap_or_default()),
        ),
        ("sharing".to_string(), e.sharing.name().to_string()),
        (
            "sharing_reason".to_string(),
            e.sharing_reason.clone().unwrap_or_default(),
        ),
        ("open".to_string(), e.open.name().to_string()),
        (
            "open_reason".to_string(),
            e.open_reason.clone().unwrap_or_default(),
        ),
        ("items".to_string(), items.join("\n")),
    ])
}

async fn new_entry(
    State(s): State<AppState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    if caller.principal.is_none() {
        return Err(ApiError::from(pubdata_platform::access::Denied::NotSignedIn).into());
    }
    caller.check_csrf(f.get("csrf").map(String::as_str))?;
    let owners = owners_for(&s, &caller).await?;
    let (entry, mut errors) = parse_entry(&f);
    let Some(entry) = entry else {
        let body = entry_form(&caller, &owners, &f, &errors, &NEW);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(page("新建目录条目", who(&caller), &body)),
        )
            .into_response());
    };
    caller
        .may(
            &s,
            &Action::CreateEntry {
                owner: entry.owner.clone(),
            },
            &format!("organization:{}", entry.owner),
        )
        .await?;
    if errors.is_empty() {
        match s.store.create_entry(&entry, caller.actor()).await {
            Ok(stored) => {
                return Ok(Redirect::to(&format!("/catalog/{}", stored.id)).into_response());
            }
            Err(StoreError::Rules(v)) => errors.extend(
                v.0.into_iter()
                    .map(|x| format!("{}: {}", x.field, x.message)),
            ),
            Err(StoreError::Invalid(m) | StoreError::NotFound { what: _, id: m }) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let body = entry_form(&caller, &owners, &f, &errors, &NEW);
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(page("新建目录条目", who(&caller), &body)),
    )
        .into_response())
}
