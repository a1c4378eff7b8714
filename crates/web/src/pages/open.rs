//! The open-data portal (开放数据门户), without sign-in: datasets found by words and facets,
//! and a dataset's page with its data items, release history, a preview of the first rows and
//! its downloads. A restricted dataset shows its metadata and how to apply, never a row.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{Markup, html};
use pubdata_platform::catalog::OpenAttribute;
use pubdata_platform::opening::search::{Facet, Search, Sort, license, search};
use pubdata_platform::store::{OpenCount, OpenDataset};
use serde::Deserialize;

use super::{PageError, PageQuery, layout, page, when, who};
use crate::AppState;
use crate::auth::Caller;
use crate::l10n::Texts;
use crate::open::data::{File, count, file_url, open_dataset, release_table};

/// Datasets a portal page lists.
const PER_PAGE: usize = 20;
/// Rows a dataset page previews.
pub(crate) const PREVIEW_ROWS: usize = 50;
/// The facets the portal offers, in the order shown.
const FACETS: [Facet; 7] = [
    Facet::Organization,
    Facet::Theme,
    Facet::Open,
    Facet::Format,
    Facet::Grade,
    Facet::UpdateCycle,
    Facet::Region,
];

/// The portal's search: words, a value per facet, the order and the page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PortalQuery {
    q: String,
    organization: String,
    groups: String,
    open: String,
    res_format: String,
    grade: String,
    update_cycle: String,
    region: String,
    sort: String,
    page: usize,
}

impl PortalQuery {
    fn filter(&self, f: Facet) -> &str {
        match f {
            Facet::Organization => &self.organization,
            Facet::Theme => &self.groups,
            Facet::Open => &self.open,
            Facet::Format => &self.res_format,
            Facet::Grade => &self.grade,
            Facet::UpdateCycle => &self.update_cycle,
            Facet::Region => &self.region,
            Facet::Tag | Facet::License => "",
        }
    }

    /// This search's address with `facet` set to `value` (empty: removed), from the first page.
    fn with(&self, facet: Option<(Facet, &str)>, sort: Option<&str>, page: usize) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        for f in FACETS {
            let v = match facet {
                Some((g, v)) if g == f => v.to_string(),
                _ => self.filter(f).to_string(),
            };
            if !v.is_empty() {
                pairs.push((f.name(), v));
            }
        }
        let sort = sort.unwrap_or(&self.sort);
        if !sort.is_empty() {
            pairs.push(("sort", sort.to_string()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        match serde_urlencoded::to_string(&pairs) {
            Ok(q) if !q.is_empty() => format!("/open?{q}"),
            _ => "/open".to_string(),
        }
    }
}

/// How a facet's value is shown: an organization by name, an enum in the visitor's language.
fn facet_label(t: &Texts, f: Facet, v: &str, names: &BTreeMap<String, String>) -> String {
    use pubdata_platform::catalog::{SecurityGrade, Theme, UpdateCycle};
    match f {
        Facet::Organization => names.get(v).cloned().unwrap_or_else(|| v.to_string()),
        Facet::Theme => Theme::ALL
            .into_iter()
            .find(|o| o.name() == v)
            .map_or_else(|| v.to_string(), |o| t.label(o)),
        Facet::Open => OpenAttribute::ALL
            .into_iter()
            .find(|o| o.name() == v)
            .map_or_else(|| v.to_string(), |o| t.label(o)),
        Facet::Grade => SecurityGrade::ALL
            .into_iter()
            .find(|o| o.name() == v)
            .map_or_else(|| v.to_string(), |o| t.label(o)),
        Facet::UpdateCycle => UpdateCycle::ALL
            .into_iter()
            .find(|o| o.name() == v)
            .map_or_else(|| v.to_string(), |o| t.label(o)),
        _ => v.to_string(),
    }
}

fn facet_title(t: &Texts, f: Facet) -> String {
    match f {
        Facet::Organization => t.t("open-facet-organization"),
        Facet::Theme => t.t("open-facet-theme"),
        Facet::Open => t.t("open-facet-open"),
        Facet::Format => t.t("open-facet-format"),
        Facet::Grade => t.t("open-facet-grade"),
        Facet::UpdateCycle => t.t("open-facet-update-cycle"),
        Facet::Region => t.t("open-facet-region"),
        Facet::Tag => t.t("open-facet-tags"),
        Facet::License => t.t("open-facet-license"),
    }
}

/// The search a portal query asks for, at page `page` (from 1).
fn search_of(q: &PortalQuery, page: usize) -> Search {
    Search {
        text: q.q.chars().take(200).collect(),
        filters: FACETS
            .into_iter()
            .filter(|f| !q.filter(*f).is_empty())
            .map(|f| (f, q.filter(f).to_string()))
            .collect(),
        sort: match q.sort.as_str() {
            "newest" => Sort::Newest,
            "downloads" => Sort::Downloads,
            _ => Sort::Relevance,
        },
        start: page.saturating_sub(1).saturating_mul(PER_PAGE),
        rows: PER_PAGE,
        ..Default::default()
    }
}

/// The portal: datasets by words and facets, sorted by relevance, newest or most downloaded.
pub(super) async fn portal(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    PageQuery(q): PageQuery<PortalQuery>,
) -> Result<Html<String>, PageError> {
    let all = s.store.open_datasets().await?;
    let names: BTreeMap<String, String> = all
        .iter()
        .map(|d| (d.entry.entry.owner.clone(), d.organization.clone()))
        .collect();
    let page_no = q.page.max(1);
    let mut found = search(&all, &search_of(&q, page_no), &FACETS);
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    // Past the last page: the last page, not an empty one that links further back.
    let page_no = if page_no > pages {
        found = search(&all, &search_of(&q, pages), &FACETS);
        pages
    } else {
        page_no
    };
    let body = html! {
        h1 { (t.t("open-title")) }
        form method="get" action="/open" #search {
            input type="search" name="q" value=(q.q) placeholder=(t.t("open-search-placeholder")) aria-label=(t.t("open-search-placeholder"));
            @for f in FACETS {
                @if !q.filter(f).is_empty() {
                    input type="hidden" name=(f.name()) value=(q.filter(f));
                }
            }
            select name="sort" aria-label=(t.t("open-sort")) {
                @for (value, label) in [("relevance", t.t("open-sort-relevance")), ("newest", t.t("open-sort-newest")), ("downloads", t.t("open-sort-downloads"))] {
                    option value=(value) selected[q.sort == value || (q.sort.is_empty() && value == "relevance")] { (label) }
                }
            }
            button type="submit" { (t.t("open-search")) }
        }
        p.muted #total { (t.tf("open-total", &[("n", found.total.into())])) }
        div.portal {
            aside #facets {
                @for f in FACETS {
                    @let values = found.facets.get(&f).cloned().unwrap_or_default();
                    @if !values.is_empty() {
                        section.facet data-facet=(f.name()) {
                            h3 { (facet_title(&t, f)) }
                            ul {
                                @for (v, n) in values.iter().take(12) {
                                    li {
                                        @if q.filter(f) == v {
                                            b { (facet_label(&t, f, v, &names)) " (" (n) ")" }
                                            " " a href=(q.with(Some((f, "")), None, 1)) { (t.t("open-facet-clear")) }
                                        } @else {
                                            a href=(q.with(Some((f, v)), None, 1)) { (facet_label(&t, f, v, &names)) } " (" (n) ")"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section #results {
                @if found.page.is_empty() {
                    p.muted #none { (t.t("open-none")) }
                }
                @for d in &found.page {
                    (result(&t, d))
                }
                nav.pages {
                    @if page_no > 1 {
                        a rel="prev" href=(q.with(None, None, page_no - 1)) { (t.t("open-prev")) }
                    }
                    " " span { (t.tf("open-page", &[("page", page_no.into()), ("pages", pages.into())])) } " "
                    @if page_no < pages {
                        a rel="next" href=(q.with(None, None, page_no + 1)) { (t.t("open-next")) }
                    }
                }
            }
        }
    };
    Ok(page(layout::page(
        &t,
        &t.t("open-title"),
        who(&caller),
        body,
    )))
}

fn result(t: &Texts, d: &OpenDataset) -> Markup {
    let e = &d.entry.entry;
    html! {
        article.dataset {
            h2 { a href={ "/open/" (d.entry.id) } { (e.title) } }
            p.muted {
                (d.organization) " · " (t.label(e.open)) " · " (t.label(e.update_cycle))
                @if let Some(theme) = e.theme { " · " (t.label(theme)) }
                @if d.latest.is_some() {
                    " · " @for f in File::ALL { span.format { (f.format()) } " " }
                }
                " · " (t.tf("open-downloads", &[("n", d.counts.downloads.into())]))
                " · " (when(t, d.modified()))
            }
            @if !e.description.is_empty() {
                p { (e.description.chars().take(200).collect::<String>()) }
            }
        }
    }
}

/// A dataset's page.
pub(super) async fn dataset(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let d = open_dataset(&s, &id).await?;
    count(&s, &id, OpenCount::View).await;
    let preview = match &d.latest {
        Some(r) => {
            let table = release_table(&s, &d, r).await?;
            let limits = pubdata_query::datasets::QueryLimits {
                rows: PREVIEW_ROWS,
                ..Default::default()
            };
            let sql = format!("SELECT * FROM release LIMIT {PREVIEW_ROWS}");
            Some(
                pubdata_query::datasets::query_datasets(&[table], &sql, &limits)
                    .await
                    .map_err(crate::error::ApiError::internal)?,
            )
        }
        None => None,
    };
    // The quality of the version the newest release was made from: counts and null rates of
    // the released columns (aggregates, never a value).
    let quality = match &d.latest {
        Some(r) => s
            .store
            .versions(&id)
            .await?
            .into_iter()
            .find(|v| v.version == r.version)
            .and_then(|v| v.quality_report().ok())
            .map(|q| {
                let nulls: Vec<(String, f64)> = q
                    .items
                    .iter()
                    .filter(|i| r.columns.contains(&i.item))
                    .map(|i| (i.item.clone(), i.null_rate))
                    .collect();
                (q.rows_read, q.rows_rejected, nulls)
            }),
        None => None,
    };
    let e = &d.entry.entry;
    let api = format!("/api/3/action/package_show?id={}", d.entry.id);
    let body = html! {
        h1 { (e.title) }
        p.muted { (d.organization) " · " (t.label(e.open)) " · " (t.label(e.update_cycle)) " · " (t.tf("open-counts", &[("views", d.counts.views.into()), ("downloads", d.counts.downloads.into()), ("calls", d.counts.api_calls.into())])) }
        @if !e.description.is_empty() { p { (e.description) } }
        @match &d.latest {
            Some(r) => {
                section #downloads {
                    h2 { (t.t("open-downloads-heading")) }
                    ul {
                        @for f in File::ALL {
                            li { a href=(file_url(&d.entry.id, r.number, f)) data-format=(f.format()) download { (f.format()) } }
                        }
                    }
                    p.muted { (t.tf("open-release-line", &[("number", r.number.into()), ("rows", r.rows.into()), ("version", r.version.into())])) " · " (when(&t, &r.published_at)) }
                    p.muted { "SHA-256 (Parquet): " code { (r.output_sha256) } }
                }
            }
            None => {
                section #apply {
                    h2 { (t.t("open-restricted-heading")) }
                    p { (t.t("open-restricted-text")) }
                    @if let Some(reason) = &e.open_reason { p.muted { (reason) } }
                    p { (t.tf("open-apply-holder", &[("holder", d.organization.clone().into())])) }
                    @if let Some(contact) = &t.site().contact { p { (t.t("open-apply-contact")) " " (contact) } }
                }
            }
        }
        section #about {
            h2 { (t.t("open-about")) }
            table {
                tr { th { (t.t("open-licence")) } td { (license(&d)) @if let Some(url) = &t.site().terms_url { " · " a href=(url) { (t.t("footer-terms")) } } } }
                tr { th { (t.t("open-api")) } td { a href=(api) { code { (api) } } } }
                tr { th { "DCAT" } td { a href={ "/dataset/" (d.entry.id) ".jsonld" } { "JSON-LD" } " · " a href={ "/dataset/" (d.entry.id) ".ttl" } { "Turtle" } } }
                tr { th { (t.t("open-citation")) } td #citation { (d.organization) ". " (e.title) @if let Some(r) = &d.latest { " (" (t.tf("open-release-short", &[("number", r.number.into())])) ", " (r.published_at.get(..10).unwrap_or("")) ")" } ". pubdata " (d.entry.id) "." } }
            }
        }
        section #items {
            h2 { (t.t("open-items")) }
            table {
                tr { th { (t.t("item-name")) } th { (t.t("item-label")) } th { (t.t("item-type")) } th { (t.t("item-grade")) } }
                // What the newest release publishes; without one, the items the catalog opens.
                @for i in e.items.iter().filter(|i| match &d.latest {
                    Some(r) => r.columns.contains(&i.name),
                    None => i.open,
                }) {
                    tr { td { code { (i.name) } } td { (i.label) } td { (t.label(i.data_type)) } td { (t.label(i.grade)) } }
                }
            }
        }
        @if let Some((read, rejected, nulls)) = &quality {
            section #quality {
                h2 { (t.t("open-quality")) }
                p { (t.tf("open-quality-rows", &[("read", (*read).into()), ("rejected", (*rejected).into())])) }
                table {
                    tr { th { (t.t("item-name")) } th { (t.t("open-quality-nulls")) } }
                    @for (item, rate) in nulls {
                        tr { td { code { (item) } } td { (format!("{:.1}%", rate * 100.0)) } }
                    }
                }
            }
        }
        @if let Some(p) = &preview {
            section #preview {
                h2 { (t.tf("open-preview", &[("n", PREVIEW_ROWS.into())])) }
                table {
                    tr { @for c in &p.columns { th { (c) } } }
                    @for row in &p.rows {
                        tr { @for v in row { td { @match v { serde_json::Value::String(s) => (s), serde_json::Value::Null => "", other => (other.to_string()) } } } }
                    }
                }
            }
        }
        section #history {
            h2 { (t.t("open-history")) }
            @if d.history.is_empty() { p.muted { (t.t("releases-none")) } }
            table {
                tr { th { "#" } th { (t.t("open-history-version")) } th { (t.t("open-history-rows")) } th { (t.t("open-history-published")) } th { (t.t("open-history-state")) } }
                @for r in &d.history {
                    tr {
                        td { a href={ "/open/" (d.entry.id) "/releases/" (r.number) } { (r.number) } } td { (r.version) } td { (r.rows) } td { (when(&t, &r.published_at)) }
                        td {
                            @match &r.withdrawn {
                                Some(w) => { (t.t("open-withdrawn")) " " (when(&t, &w.at)) ": " (w.reason) }
                                None => { (t.t("open-live")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout::page(&t, &e.title, who(&caller), body)))
}
