//! The home page with the platform's statistics and the latest entries, and the catalog with its
//! search.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Html;
use maud::{Markup, html};
use pubdata_platform::store::{EntryQuery, StoredEntry};
use serde::Deserialize;

use super::{PageError, PageQuery, layout, page, who};
use crate::AppState;
use crate::auth::Caller;
use crate::l10n::Texts;

/// Entries a catalog page lists at most.
const LISTED: u32 = 100;

/// The catalog's search: `?q=` text in titles, descriptions and items, `?owner=` a holder's code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CatalogQuery {
    q: String,
    owner: String,
}

/// Organizations' names by code: pages show who holds an entry by name, not by code.
pub(super) async fn owner_names(s: &AppState) -> Result<HashMap<String, String>, PageError> {
    Ok(s.store
        .organizations()
        .await?
        .into_iter()
        .map(|o| (o.code, o.name))
        .collect())
}

fn entry_rows(t: &Texts, entries: &[StoredEntry], names: &HashMap<String, String>) -> Markup {
    html! {
        table {
            tr {
                th { (t.t("col-title")) } th { (t.t("col-owner")) } th { (t.t("col-items")) }
                th { (t.t("col-sharing")) } th { (t.t("col-open")) }
            }
            @for e in entries {
                tr {
                    td { a href={ "/catalog/" (e.id) } { (e.entry.title) } }
                    td {
                        a href={ "/catalog?owner=" (e.entry.owner) } title=(e.entry.owner) {
                            (names.get(&e.entry.owner).unwrap_or(&e.entry.owner))
                        }
                    }
                    td { (e.entry.items.len()) }
                    td { (t.label(e.entry.sharing)) }
                    td { (t.label(e.entry.open)) }
                }
            }
        }
    }
}

pub(super) async fn home(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
) -> Result<Html<String>, PageError> {
    let st = s.store.stats().await?;
    let (recent, _) = s
        .store
        .entries(&EntryQuery {
            limit: Some(10),
            ..Default::default()
        })
        .await?;
    let cards = [
        (t.t("stat-catalog-entries"), st.catalog_entries),
        (t.t("stat-data-items"), st.data_items),
        (t.t("stat-records-aggregated"), st.records_aggregated),
        (t.t("stat-sharing-calls"), st.sharing_calls),
        (t.t("stat-applications-served"), st.applications_served),
        (t.t("stat-open-datasets"), st.open_datasets),
        (t.t("stat-open-data-items"), st.open_data_items),
        (t.t("stat-downloads"), st.downloads),
        (t.t("stat-api-calls"), st.api_calls),
    ];
    let body = html! {
        h1 { (t.t("home-heading")) }
        section.cards #stats {
            @for (label, n) in cards {
                div.card { b data-stat { (n) } (label) }
            }
        }
        h2 { (t.t("home-search")) }
        form action="/catalog" method="get" {
            input type="search" name="q" placeholder=(t.t("home-search-placeholder"));
        }
        h2 { (t.t("home-recent")) }
        (entry_rows(&t, &recent, &owner_names(&s).await?))
    };
    Ok(page(layout::page(
        &t,
        &t.t("home-title"),
        who(&caller),
        body,
    )))
}

pub(super) async fn catalog(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    PageQuery(q): PageQuery<CatalogQuery>,
) -> Result<Html<String>, PageError> {
    let (list, total) = s
        .store
        .entries(&EntryQuery {
            text: Some(q.q.clone()),
            owner: Some(q.owner).filter(|o| !o.is_empty()),
            limit: Some(LISTED),
            offset: None,
        })
        .await?;
    let body = html! {
        h1 { (t.t("catalog-title")) }
        form method="get" {
            input type="search" name="q" value=(q.q) placeholder=(t.t("catalog-search-placeholder"));
        }
        p.muted #total { (t.tf("catalog-total", &[("n", total.into())])) }
        (entry_rows(&t, &list, &owner_names(&s).await?))
    };
    Ok(page(layout::page(
        &t,
        &t.t("catalog-title"),
        who(&caller),
        body,
    )))
}
