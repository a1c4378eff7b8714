//! The entry form, to create an entry or edit one: its fields, with the data items as a table of
//! rows (one more on "add a row", no script), their parsing into a catalog entry (every problem
//! listed, by field or row), and the form page itself.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pubdata_platform::access::Action;
use pubdata_platform::catalog::{
    CatalogEntry, DataItem, DataType, MAX_ITEMS, OpenAttribute, PiiType, SecurityGrade,
    SharingAttribute, Theme, UpdateCycle,
};
use pubdata_platform::store::StoreError;

use super::{PageError, PageForm, blank, layout, page, signed_in, who};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::l10n::{Labelled, Texts};

/// One data item's row of the form, as typed.
#[derive(Debug, Default, Clone, PartialEq)]
struct ItemRow {
    name: String,
    label: String,
    data_type: String,
    grade: String,
    personal_info: String,
    required: bool,
    key: bool,
    /// Published in open releases; a blank row shows it ticked.
    open: bool,
}

impl ItemRow {
    /// A row left empty, which the form ignores (how a row is removed).
    fn is_blank(&self) -> bool {
        blank(&self.name) && blank(&self.label)
    }
}

/// The entry form as posted: plain fields by name, item rows as `item-<row>-<field>`. Fields
/// left out read as empty, so the form comes back with every problem named rather than one
/// rejection for the first missing field.
#[derive(Debug, Default)]
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
    theme: String,
    items: Vec<ItemRow>,
    /// "Add a row" was pressed: show the form again with one more row, save nothing.
    more: bool,
}

/// Blank rows a new form starts with.
const NEW_ROWS: usize = 3;

impl EntryForm {
    /// Reads the posted pairs. Only what the page itself writes must parse (the revision, a row
    /// number below [`MAX_ITEMS`]); a field the form does not have is refused by name.
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<EntryForm, ApiError> {
        let mut f = EntryForm::default();
        let mut rows: BTreeMap<usize, ItemRow> = BTreeMap::new();
        let bad = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_request", m);
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = Some(v),
                "revision" if !blank(&v) => {
                    let n = v
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("revision: {v:?} is not a number")))?;
                    f.revision = Some(n);
                }
                "revision" => {}
                "title" => f.title = v,
                "description" => f.description = v,
                "owner" => f.owner = v,
                "update_cycle" => f.update_cycle = v,
                "theme" => f.theme = v,
                "sharing" => f.sharing = v,
                "sharing_reason" => f.sharing_reason = v,
                "open" => f.open = v,
                "open_reason" => f.open_reason = v,
                "more" => f.more = true,
                _ => {
                    let Some((row, field)) = k
                        .strip_prefix("item-")
                        .and_then(|r| r.split_once('-'))
                        .and_then(|(n, field)| Some((n.parse::<usize>().ok()?, field)))
                        .filter(|(n, _)| *n < MAX_ITEMS)
                    else {
                        return Err(bad(format!("the entry form has no field {k:?}")));
                    };
                    let r = rows.entry(row).or_default();
                    match field {
                        "name" => r.name = v,
                        "label" => r.label = v,
                        "type" => r.data_type = v,
                        "grade" => r.grade = v,
                        "pi" => r.personal_info = v,
                        "required" => r.required = true,
                        "key" => r.key = true,
                        "open" => r.open = true,
                        _ => return Err(bad(format!("the entry form has no field {k:?}"))),
                    }
                }
            }
        }
        f.items = rows.into_values().collect();
        Ok(f)
    }

    /// The entry when its fields parse, and every problem found.
    fn parse(&self) -> (Option<CatalogEntry>, Vec<String>) {
        let reason = |r: &str| Some(r.to_string()).filter(|r| !blank(r));
        let mut errors = Vec::new();
        let mut items = Vec::new();
        for (n, row) in self.items.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            match parse_row(row) {
                Ok(item) => items.push(item),
                Err(e) => errors.extend(
                    e.into_iter()
                        .map(|e| format!("data item row {}: {e}", n + 1)),
                ),
            }
        }
        let update_cycle = by_name(&UpdateCycle::ALL, UpdateCycle::name, &self.update_cycle)
            .map_err(|e| errors.push(format!("update_cycle: {e}")))
            .ok();
        let sharing = by_name(
            &SharingAttribute::ALL,
            SharingAttribute::name,
            &self.sharing,
        )
        .map_err(|e| errors.push(format!("sharing: {e}")))
        .ok();
        let open = by_name(&OpenAttribute::ALL, OpenAttribute::name, &self.open)
            .map_err(|e| errors.push(format!("open: {e}")))
            .ok();
        let theme = if blank(&self.theme) {
            Some(None)
        } else {
            by_name(&Theme::ALL, Theme::name, &self.theme)
                .map(Some)
                .map_err(|e| errors.push(format!("theme: {e}")))
                .ok()
        };
        let entry = match (update_cycle, sharing, open, theme) {
            (Some(update_cycle), Some(sharing), Some(open), Some(theme)) => Some(CatalogEntry {
                title: self.title.clone(),
                description: self.description.clone(),
                owner: self.owner.clone(),
                items,
                update_cycle,
                sharing,
                sharing_reason: reason(&self.sharing_reason),
                open,
                open_reason: reason(&self.open_reason),
                theme,
            }),
            _ => None,
        };
        (entry, errors)
    }

    /// The form filled in with a stored entry, to edit it.
    fn of(e: &CatalogEntry) -> EntryForm {
        EntryForm {
            title: e.title.clone(),
            description: e.description.clone(),
            owner: e.owner.clone(),
            update_cycle: e.update_cycle.name().to_string(),
            sharing: e.sharing.name().to_string(),
            sharing_reason: e.sharing_reason.clone().unwrap_or_default(),
            open: e.open.name().to_string(),
            open_reason: e.open_reason.clone().unwrap_or_default(),
            theme: e.theme.map(|t| t.name().to_string()).unwrap_or_default(),
            items: e
                .items
                .iter()
                .map(|i| ItemRow {
                    name: i.name.clone(),
                    label: i.label.clone(),
                    data_type: i.data_type.name().to_string(),
                    grade: i.grade.name().to_string(),
                    personal_info: i
                        .personal_info
                        .map(|p| p.name().to_string())
                        .unwrap_or_default(),
                    required: i.required,
                    key: i.key,
                    open: i.open,
                })
                .collect(),
            ..EntryForm::default()
        }
    }

    /// The rows to show: those posted (or stored), then one more when asked for, and always at
    /// least one blank row to type in ([`NEW_ROWS`] on an empty form).
    fn rows_to_show(&self) -> Vec<ItemRow> {
        let mut rows = self.items.clone();
        let blanks = if rows.is_empty() {
            NEW_ROWS
        } else if self.more || !rows.iter().any(ItemRow::is_blank) {
            1
        } else {
            0
        };
        rows.extend(std::iter::repeat_n(ItemRow::default(), blanks));
        rows.truncate(MAX_ITEMS);
        rows
    }
}

/// The value of `options` whose name is `name`.
fn by_name<T: Copy>(
    options: &[T],
    name_of: fn(T) -> &'static str,
    name: &str,
) -> Result<T, String> {
    options
        .iter()
        .copied()
        .find(|o| name_of(*o) == name.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|o| name_of(*o)).collect();
            format!("{name:?} is not one of {}", names.join(", "))
        })
}

/// A row's data item, or what is wrong with it.
fn parse_row(row: &ItemRow) -> Result<DataItem, Vec<String>> {
    let mut errors = Vec::new();
    if blank(&row.name) {
        errors.push("a data item needs a name".to_string());
    }
    let data_type = by_name(&DataType::ALL, DataType::name, &row.data_type)
        .map_err(|e| errors.push(format!("type: {e}")))
        .ok();
    let grade = by_name(&SecurityGrade::ALL, SecurityGrade::name, &row.grade)
        .map_err(|e| errors.push(format!("grade: {e}")))
        .ok();
    let personal_info = if blank(&row.personal_info) {
        Some(None)
    } else {
        by_name(&PiiType::ALL, PiiType::name, &row.personal_info)
            .map(Some)
            .map_err(|e| errors.push(format!("personal information: {e}")))
            .ok()
    };
    match (data_type, grade, personal_info) {
        (Some(data_type), Some(grade), Some(personal_info)) if errors.is_empty() => Ok(DataItem {
            name: row.name.trim().to_string(),
            label: row.label.trim().to_string(),
            data_type,
            personal_info,
            grade,
            required: row.required,
            key: row.key,
            open: row.open,
        }),
        _ => Err(errors),
    }
}

/// Where an entry form posts, its heading, and the revision an edit was made from.
struct FormTarget<'a> {
    action: &'a str,
    heading: String,
    revision: Option<i64>,
}

/// A select named `name` over `options` (by their names, shown as their labels) with `current`
/// chosen, or the first; `empty` adds a first "none" choice with the empty value.
fn select<T: Labelled>(
    t: &Texts,
    name: &str,
    options: &[T],
    name_of: fn(T) -> &'static str,
    current: &str,
    empty: Option<String>,
) -> Markup {
    html! {
        select id=(name) name=(name) {
            @if let Some(none) = &empty {
                option value="" selected[current.is_empty()] { (none) }
            }
            @for o in options {
                option value=(name_of(*o)) selected[name_of(*o) == current] { (t.label(*o)) }
            }
        }
    }
}

/// The data items as rows of inputs.
fn item_rows(t: &Texts, rows: &[ItemRow]) -> Markup {
    html! {
        table #items {
            tr {
                th { (t.t("item-name")) } th { (t.t("item-label")) } th { (t.t("item-type")) }
                th { (t.t("item-grade")) } th { (t.t("item-pi")) }
                th { (t.t("item-required")) } th { (t.t("item-key")) } th { (t.t("item-open")) }
            }
            @for (n, r) in rows.iter().enumerate() {
                @let field = |f: &str| format!("item-{n}-{f}");
                tr.item {
                    td { input type="text" name=(field("name")) value=(r.name) aria-label=(t.t("item-name")); }
                    td { input type="text" name=(field("label")) value=(r.label) aria-label=(t.t("item-label")); }
                    td { (select(t, &field("type"), &DataType::ALL, DataType::name, &r.data_type, None)) }
                    td { (select(t, &field("grade"), &SecurityGrade::ALL, SecurityGrade::name, &r.grade, None)) }
                    td { (select(t, &field("pi"), &PiiType::ALL, PiiType::name, &r.personal_info, Some(t.t("item-pi-none")))) }
                    td { input type="checkbox" name=(field("required")) checked[r.required] aria-label=(t.t("item-required")); }
                    td { input type="checkbox" name=(field("key")) checked[r.key] aria-label=(t.t("item-key")); }
                    td { input type="checkbox" name=(field("open")) checked[r.open || r.is_blank()] aria-label=(t.t("item-open")); }
                }
            }
        }
    }
}

fn entry_form(
    t: &Texts,
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
            label for="title" { (t.t("form-title")) }
            input type="text" id="title" name="title" value=(values.title);
            label for="description" { (t.t("form-description")) }
            input type="text" id="description" name="description" value=(values.description);
            label for="owner" { (t.t("form-owner")) }
            select id="owner" name="owner" {
                @for (code, name) in owners {
                    option value=(code) selected[*code == values.owner] { (name) " (" (code) ")" }
                }
            }
            label for="theme" { (t.t("field-theme")) }
            (select(t, "theme", &Theme::ALL, Theme::name, &values.theme, Some(t.t("field-theme-none"))))
            label for="update_cycle" { (t.t("form-update-cycle")) }
            (select(t, "update_cycle", &UpdateCycle::ALL, UpdateCycle::name, &values.update_cycle, None))
            label for="sharing" { (t.t("form-sharing")) }
            (select(t, "sharing", &SharingAttribute::ALL, SharingAttribute::name, &values.sharing, None))
            label for="sharing_reason" { (t.t("form-sharing-reason")) }
            input type="text" id="sharing_reason" name="sharing_reason" value=(values.sharing_reason);
            label for="open" { (t.t("form-open")) }
            (select(t, "open", &OpenAttribute::ALL, OpenAttribute::name, &values.open, None))
            label for="open_reason" { (t.t("form-open-reason")) }
            input type="text" id="open_reason" name="open_reason" value=(values.open_reason);
            h2 { (t.t("form-items")) }
            p.muted { (t.t("form-items-help")) }
            (item_rows(t, &values.rows_to_show()))
            // Save comes first: it is the button Enter presses.
            p {
                button type="submit" #save { (t.t("form-save")) }
                " "
                button type="submit" #more name="more" value="1" { (t.t("form-add-row")) }
            }
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
    t: &Texts,
    caller: &Caller,
    owners: &[(String, String)],
    values: &EntryForm,
    errors: &[String],
    status: StatusCode,
) -> Response {
    let target = FormTarget {
        action: "/catalog/new",
        heading: t.t("form-new-heading"),
        revision: None,
    };
    let body = entry_form(t, caller, owners, values, errors, &target);
    (
        status,
        page(layout::page(t, &target.heading, who(caller), body)),
    )
        .into_response()
}

pub(super) async fn new_entry_form(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
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
    // Most holders update monthly; the form starts there rather than at the list's first cycle.
    let start = EntryForm {
        update_cycle: UpdateCycle::Monthly.name().to_string(),
        ..EntryForm::default()
    };
    Ok(new_page(&t, &caller, &owners, &start, &[], StatusCode::OK))
}

/// The posted entry form, or the error page for one the page did not write.
fn posted(pairs: Vec<(String, String)>) -> Result<EntryForm, PageError> {
    Ok(EntryForm::from_pairs(pairs)?)
}

pub(super) async fn new_entry(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    signed_in(&caller)?;
    let f = posted(pairs)?;
    caller.check_csrf(f.csrf.as_deref())?;
    let owners = owners_for(&s, &caller).await?;
    if f.more {
        return Ok(new_page(&t, &caller, &owners, &f, &[], StatusCode::OK));
    }
    let (entry, mut errors) = f.parse();
    let Some(entry) = entry else {
        return Ok(new_page(
            &t,
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
        &t,
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
    t: &Texts,
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
        heading: t.t("form-edit-heading"),
        revision: Some(revision),
    };
    let body = entry_form(
        t,
        caller,
        &[(owner.code, owner.name)],
        values,
        errors,
        &target,
    );
    Ok(page(layout::page(t, &target.heading, who(caller), body)))
}

pub(super) async fn edit_form(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
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
    edit_page(
        &s,
        &caller,
        &t,
        &id,
        &EntryForm::of(&e.entry),
        e.revision,
        &[],
    )
    .await
}

pub(super) async fn edit(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    signed_in(&caller)?;
    let f = posted(pairs)?;
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
    if f.more {
        let html = edit_page(&s, &caller, &t, &id, &f, revision, &[]).await?;
        return Ok(html.into_response());
    }
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
    let html = edit_page(&s, &caller, &t, &id, &f, revision, &errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
