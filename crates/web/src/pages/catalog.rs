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

fn entry_rows(entries: &[StoredEntry], names: &HashMap<String, String>) -> Markup {
    html! {
        table {
            tr {
                th { "标题 Title" } th { "持有单位 Owner" } th { "数据项 Items" }
                th { "共享 Sharing" } th { "开放 Open" }
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
                    td { (e.entry.sharing.name()) }
                    td { (e.entry.open.name()) }
                }
            }
        }
    }
}

pub(super) async fn home(
    State(s): State<AppState>,
    caller: Caller,
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
        ("目录条目 Catalog entries", st.catalog_entries),
        ("数据项 Data items", st.data_items),
        ("归集记录 Records aggregated", st.records_aggregated),
        ("共享调用 Sharing calls", st.sharing_calls),
        ("申请服务 Applications served", st.applications_served),
        ("开放数据集 Open datasets", st.open_datasets),
        ("开放数据项 Open data items", st.open_data_items),
    ];
    let body = html! {
        h1 { "公共数据平台 Public data platform" }
        section.cards #stats {
            @for (label, n) in cards {
                div.card { b data-stat { (n) } (label) }
            }
        }
        h2 { "目录检索 Search the catalog" }
        form action="/catalog" method="get" {
            input type="search" name="q" placeholder="标题、描述、数据项或持有单位 title, description, item or holder";
        }
        h2 { "最近更新 Recently changed" }
        (entry_rows(&recent, &owner_names(&s).await?))
    };
    Ok(page(layout::page("首页", who(&caller), body)))
}

pub(super) async fn catalog(
    State(s): State<AppState>,
    caller: Caller,
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
        h1 { "公共数据目录 Catalog" }
        form method="get" {
            input type="search" name="q" value=(q.q) placeholder="检索 search";
        }
        p.muted #total { (total) " 条 entries" }
        (entry_rows(&list, &owner_names(&s).await?))
    };
    Ok(page(layout::page("目录", who(&caller), body)))
}
