//! Opening's doors other than the pages: publishing over `/api/v1` ([`releases`]), the files a
//! release is downloaded as ([`data`]), the CKAN-compatible Action API ([`ckan`]) and DCAT
//! ([`dcat`]). Each is an adapter over `pubdata_platform::opening` and the store: none decides
//! on its own what may leave.

pub(crate) mod ckan;
pub(crate) mod data;
pub(crate) mod dcat;
pub(crate) mod releases;

use axum::Router;
use axum::routing::get;

use crate::AppState;

/// The public routes: downloads, CKAN and DCAT (the portal's pages are in `pages`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/open/{id}/releases/{number}/{file}", get(data::download))
        .route("/open/{id}/{file}", get(data::download_latest))
        .route(
            "/api/3/action/{name}",
            get(ckan::action_get).post(ckan::action_post),
        )
        .route(
            "/api/action/{name}",
            get(ckan::action_get).post(ckan::action_post),
        )
        .route("/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/catalog.ttl", get(dcat::catalog_ttl))
        .route("/dataset/{file}", get(dcat::dataset))
}

/// The site's address as the caller reached it, for the absolute links CKAN and DCAT give: the
/// `Host` header when it is a plain host name or address, else `localhost`.
pub(crate) fn site(s: &AppState, headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if s.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The organizations by code: who holds each dataset, for CKAN's and DCAT's descriptions.
pub(crate) async fn organizations(
    s: &AppState,
) -> Result<
    std::collections::BTreeMap<String, pubdata_platform::store::Organization>,
    pubdata_platform::store::StoreError,
> {
    Ok(s.store
        .organizations()
        .await?
        .into_iter()
        .map(|o| (o.code.clone(), o))
        .collect())
}
