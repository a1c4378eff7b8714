//! The entry form, to create an entry or edit one: its fields as a typed form, their parsing into
//! a catalog entry (every problem listed, by field or items line), and the form page itself.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pubdata_platform::access::Action;
use pubdata_platform::catalog::{CatalogEntry, DataItem, DataType, SecurityGrade};
use pubdata_platform::store::StoreError;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Serialize};

use super::{PageError, PageForm, blank, layout, page, signed_in, who};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// The entry form as posted. Fields left out read as empty, so the form comes back with every
/// problem named rather than one rejection for the first missing field; only `revision`, which
/// the page itself writes, must be a number when present.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EntryForm {
    csrf: Option<String>,
    /// The revision the edit was made from (edits only).
    revision: Option<i64>,
    title: String,
    description: String,
    owner: String,
    update_cycle: String,
    sharing: String,
    sharing_reason: String,
    open: String,
    open_reason: String,
    /// One data item a line: `name | label | type | grade | personal information type | required`.
    items: String,
}

const UPDATE_CYCLES: [&str; 7] = [
    "monthly",
    "real_time",
    "daily",
    "weekly",
    "quarterly",
    "yearly",
    "irregular",
];
const SHARING: [&str; 3] = ["unconditional", "conditional", "none"];
const OPEN: [&str; 3] = ["unconditional", "restricted", "prohibited"];

/// A unit enum from its serde name (`"decimal"`, `"L2"`).
fn by_name<T: DeserializeOwned>(name: &str) -> Result<T, serde::de::value::Error> {
    T::deserialize(name.into_deserializer())
}

/// A unit enum's serde name.
fn name_of<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Parses the items text area; errors name the line.
fn parse_items(text: &str) -> Result<Vec<DataItem>, Vec<String>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if blank(line) {
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
        let data_type = by_name::<DataType>(&f[2].to_lowercase())
            .map_err(|_| format!("unknown type {:?}", f[2]));
        let grade = by_name::<SecurityGrade>(&f[3].to_uppercase())
            .map_err(|_| format!("unknown grade {:?} (L1 to L4)", f[3]));
        let pii = match f.get(4).filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(p) => by_name(p)
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

impl EntryForm {
    /// The entry when its fields parse, and every problem found.
    fn parse(&self) -> (Option<CatalogEntry>, Vec<String>) {
        let reason = |r: &str| Some(r.to_string()).filter(|r| !blank(r));
        let mut errors = Vec::new();
        let items = parse_items(&self.items).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        });
        let parsed = (|| -> Result<CatalogEntry, serde::de::value::Error> {
            Ok(CatalogEntry {
                title: self.title.clone(),
                description: self.description.clone(),
                owner: self.owner.clone(),
                items,
                update_cycle: by_name(&self.update_cycle)?,
                sharing: by_name(&self.sharing)?,
                sharing_reason: reason(&self.sharing_reason),
                open: by_name(&self.open)?,
                open_reason: reason(&self.open_reason),
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

    /// The form filled in with a stored entry, to edit it.
    fn of(e: &CatalogEntry) -> EntryForm {
        let items: Vec<String> = e
            .items
            .iter()
            .map(|i| {
                format!(
                    "{} | {} | {} | {} | {} | {}",
                    i.name,
                    i.label,
                    name_of(i.data_type),
                    name_of(i.grade),
                    i.personal_info.map(|p| p.name()).unwrap_or(""),
                    if i.required { "required" } else { "" }
                )
            })
            .collect();
        EntryForm {
            csrf: None,
            revision: None,
            title: e.title.clone(),
            description: e.description.clone(),
            owner: e.owner.clone(),
            update_cycle: name_of(e.update_cycle),
            sharing: e.sharing.name().to_string(),
            sharing_reason: e.sharing_reason.clone().unwrap_or_default(),
            open: e.open.name().to_string(),
            open_reason: e.open_reason.clone().unwrap_or_default(),
            items: items.join("\n"),
        }
    }
}

/// Where an entry form posts, its heading, and the revision an edit was made from.
struct FormTarget<'a> {
    action: &'a str,
    heading: &'a str,
    revision: Option<i64>,
}

const NEW: FormTarget<'static> = FormTarget {
    action: "/catalog/new",
    heading: "新建目录条目 New catalog entry",
    revision: None,
};

/// A select of `options` (each its own value) with `current` chosen, or the first.
fn select(name: &str, options: &[&str], current: &str) -> Markup {
    let current = if options.contains(&current) {
        current
    } else {
        options[0]
    };
    html! {
        select id=(name) name=(name) {
            @for o in options {
                option selected[*o == current] { (o) }
            }
        }
    }
}

fn entry_form(
    caller: &Caller,
    owners: &[(String, String)],
    values: &EntryForm,
    errors: &[String],
    target: &FormTarget<'_>,
) -> Markup {
    html! {
        h1 { (target.heading) }
        @if !errors.is_empty() {
            div.error #errors { ul { @for e in errors { li { (e) } } } }
        }
        form method="post" action=(target.action) {
            input type="hidden" name="csrf" value=(caller.csrf.as_deref().unwrap_or(""));
            @if let Some(r) = target.revision {
                input type="hidden" name="revision" value=(r);
            }
            label for="title" { "标题 Title" }
            input type="text" id="title" name="title" value=(values.title);
            label for="description" { "描述 Description" }
            input type="text" id="description" name="description" value=(values.description);
            label for="owner" { "持有单位 Owner" }
            select id="owner" name="owner" {
                @for (code, name) in owners {
                    option value=(code) selected[*code == values.owner] { (name) " (" (code) ")" }
                }
            }
            label for="update_cycle" { "更新周期 Update cycle" }
            (select("update_cycle", &UPDATE_CYCLES, &values.update_cycle))
            label for="sharing" { "共享属性 Sharing" }
            (select("sharing", &SHARING, &values.sharing))
            label for="sharing_reason" { "不予/有条件共享理由 Reason for limited sharing" }
            input type="text" id="sharing_reason" name="sharing_reason" value=(values.sharing_reason);
            label for="open" { "开放属性 Open" }
            (select("open", &OPEN, &values.open))
            label for="open_reason" { "受限/禁止开放理由 Reason for limited opening" }
            input type="text" id="open_reason" name="open_reason" value=(values.open_reason);
            label for="items" { "数据项 Data items" }
            p.muted {
                "One per line: name | label | type (text, integer, decimal, date, timestamp, boolean) \
                 | grade (L1-L4) | personal information type (optional, e.g. cn_resident_id) \
                 | required (optional: required)"
            }
            textarea #items name="items" { (values.items) }
            p { button type="submit" { "保存 Save" } }
        }
    }
}

/// The organizations the caller may create entries for, as (code, name).
async fn owners_for(s: &AppState, caller: &Caller) -> Result<Vec<(String, String)>, PageError> {
    Ok(s.store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| {
            caller.permits(&Action::CreateEntry {
                owner: o.code.clone(),
            })
        })
        .map(|o| (o.code, o.name))
        .collect())
}

/// The new-entry form page, with `status`.
fn new_page(
    caller: &Caller,
    owners: &[(String, String)],
    values: &EntryForm,
    errors: &[String],
    status: StatusCode,
) -> Response {
    let body = entry_form(caller, owners, values, errors, &NEW);
    (
        status,
        page(layout::page("新建目录条目", who(caller), body)),
    )
        .into_response()
}

pub(super) async fn new_entry_form(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Response, PageError> {
    signed_in(&caller)?;
    let owners = owners_for(&s, &caller).await?;
    if owners.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "denied",
            "your role may not create catalog entries",
        )
        .into());
    }
    Ok(new_page(
        &caller,
        &owners,
        &EntryForm::default(),
        &[],
        StatusCode::OK,
    ))
}

pub(super) async fn new_entry(
    State(s): State<AppState>,
    caller: Caller,
    PageForm(f): PageForm<EntryForm>,
) -> Result<Response, PageError> {
    signed_in(&caller)?;
    caller.check_csrf(f.csrf.as_deref())?;
    let owners = owners_for(&s, &caller).await?;
    let (entry, mut errors) = f.parse();
    let Some(entry) = entry else {
        return Ok(new_page(
            &caller,
            &owners,
            &f,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
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
    Ok(new_page(
        &caller,
        &owners,
        &f,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// The edit form of entry `id`: its holder is the only owner offered.
async fn edit_page(
    s: &AppState,
    caller: &Caller,
    id: &str,
    values: &EntryForm,
    revision: i64,
    errors: &[String],
) -> Result<Html<String>, PageError> {
    let e = s.store.entry(id).await?;
    let owner = s.store.organization(&e.entry.owner).await?;
    let action = format!("/catalog/{id}/edit");
    let target = FormTarget {
        action: &action,
        heading: "编辑目录条目 Edit catalog entry",
        revision: Some(revision),
    };
    let body = entry_form(caller, &[(owner.code, owner.name)], values, errors, &target);
    Ok(page(layout::page("编辑目录条目", who(caller), body)))
}

pub(super) async fn edit_form(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    signed_in(&caller)?;
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
    edit_page(&s, &caller, &id, &EntryForm::of(&e.entry), e.revision, &[]).await
}

pub(super) async fn edit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    PageForm(f): PageForm<EntryForm>,
) -> Result<Response, PageError> {
    signed_in(&caller)?;
    caller.check_csrf(f.csrf.as_deref())?;
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
    let revision = f.revision.unwrap_or(current.revision);
    let (entry, mut errors) = f.parse();
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
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
