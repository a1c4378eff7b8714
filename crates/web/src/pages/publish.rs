//! Publishing from an entry's page: its releases with a withdraw form each, and the publish form
//! (a version, a stored policy or the catalog as it is) for the holder's officers and the
//! authority; and a release's own page with its policy, what the run did to each column and
//! the hashes that tie it to its version.

use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use pubdata_platform::access::Action;
use pubdata_platform::catalog::OpenAttribute;
use pubdata_platform::store::{JobKind, Release, StoredEntry};
use serde::Deserialize;

use super::{PageError, PageForm, layout, page, when, who};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::l10n::Texts;

fn audience(t: &Texts, r: &Release) -> String {
    match r.audience.as_str() {
        "public" => t.t("release-audience-public"),
        _ => t.t("release-audience-grants"),
    }
}

/// The releases and the publish form on entry `e`'s page, for those who may see them.
pub(super) async fn section(
    s: &AppState,
    caller: &Caller,
    t: &Texts,
    e: &StoredEntry,
) -> Result<Markup, PageError> {
    let owner = e.entry.owner.clone();
    if !caller.permits(&Action::ReadData {
        owner: owner.clone(),
    }) {
        return Ok(html! {});
    }
    let may_publish = caller.permits(&Action::ReleaseData {
        owner: owner.clone(),
    });
    let releases = s.store.releases(&e.id).await?;
    let versions = s.store.versions(&e.id).await?;
    let policies: Vec<_> = s
        .store
        .policies()
        .await?
        .into_iter()
        .filter(|p| p.owner == owner && p.kind != JobKind::Publish)
        .collect();
    let csrf = caller.csrf.as_deref().unwrap_or("");
    Ok(html! {
        h2 { (t.t("releases-heading")) }
        @if releases.is_empty() {
            p.muted { (t.t("releases-none")) }
        } @else {
            table #releases {
                tr {
                    th { "#" } th { (t.t("open-history-version")) } th { (t.t("release-audience")) }
                    th { (t.t("open-history-rows")) } th { (t.t("release-published-by")) }
                    th { (t.t("open-history-published")) } th { (t.t("open-history-state")) }
                }
                @for r in &releases {
                    tr {
                        td { a href={ "/open/" (e.id) "/releases/" (r.number) } { (r.number) } }
                        td { (r.version) } td { (audience(t, r)) } td { (r.rows) }
                        td { (r.published_by) } td { (when(t, &r.published_at)) }
                        td {
                            @match &r.withdrawn {
                                Some(w) => { (t.t("open-withdrawn")) " " (when(t, &w.at)) ": " (w.reason) }
                                None if may_publish => {
                                    form.inline method="post" action={ "/catalog/" (e.id) "/releases/" (r.id) "/withdraw" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="text" name="reason" required placeholder=(t.t("withdraw-reason")) aria-label=(t.t("withdraw-reason"));
                                        " " button type="submit" { (t.t("withdraw-submit")) }
                                    }
                                }
                                None => { (t.t("open-live")) }
                            }
                        }
                    }
                }
            }
        }
        @if may_publish && e.entry.open != OpenAttribute::Prohibited && !versions.is_empty() {
            h2 { (t.t("publish-heading")) }
            form #publish method="post" action={ "/catalog/" (e.id) "/publish" } {
                input type="hidden" name="csrf" value=(csrf);
                label for="publish-version" { (t.t("publish-version")) }
                @let newest = versions.iter().map(|v| v.version).max().unwrap_or(0);
                select #publish-version name="version" {
                    @for v in versions.iter().rev() {
                        option value=(v.version) selected[v.version == newest] {
                            "v" (v.version) " · " (t.tf("publish-version-rows", &[("rows", v.rows.into())])) " · " (t.time(&v.created_at))
                        }
                    }
                }
                label for="publish-policy" { (t.t("publish-policy")) }
                select #publish-policy name="policy" {
                    option value="" { (t.t("publish-as-catalogued")) }
                    @for p in &policies {
                        option value=(p.id) { (p.name) " (" (t.label(p.kind)) ")" }
                    }
                }
                p.muted { (t.t("publish-help")) }
                p { button type="submit" { (t.t("publish-submit")) } }
            }
        }
    })
}

/// The publish form as posted.
#[derive(Debug, Deserialize)]
pub(super) struct PublishForm {
    csrf: Option<String>,
    version: Option<i64>,
    #[serde(default)]
    policy: String,
}

/// `POST /catalog/{id}/publish`: queues the job and shows it.
pub(super) async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    PageForm(f): PageForm<PublishForm>,
) -> Result<Redirect, PageError> {
    super::signed_in(&caller)?;
    caller.check_csrf(f.csrf.as_deref())?;
    let policy = Some(f.policy.as_str()).filter(|p| !p.is_empty());
    let job = crate::open::releases::submit(&s, &caller, &id, f.version, policy).await?;
    Ok(Redirect::to(&format!("/jobs/{}", job.id)))
}

/// The withdraw form as posted.
#[derive(Debug, Deserialize)]
pub(super) struct WithdrawForm {
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /catalog/{id}/releases/{rid}/withdraw`: withdraws and shows the entry again.
pub(super) async fn withdraw(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(String, String)>,
    PageForm(f): PageForm<WithdrawForm>,
) -> Result<Redirect, PageError> {
    super::signed_in(&caller)?;
    caller.check_csrf(f.csrf.as_deref())?;
    if s.store.release(&rid).await?.entry_id != id {
        return Err(ApiError::bad_request("the release belongs to another entry").into());
    }
    crate::open::releases::withdraw_for(&s, &caller, &rid, &f.reason).await?;
    Ok(Redirect::to(&format!("/catalog/{id}")))
}

/// `GET /open/{id}/releases/{n}`: a release's record, open to anyone (its rows only through
/// the downloads, where they may be served).
pub(super) async fn release(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    Path((id, number)): Path<(String, i64)>,
) -> Result<Html<String>, PageError> {
    let e = s.store.entry(&id).await?;
    let r = s
        .store
        .releases(&id)
        .await?
        .into_iter()
        .find(|r| r.number == number)
        .filter(|_| e.entry.open != OpenAttribute::Prohibited)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("entry {id} has no release {number}"),
            )
        })?;
    // The record is public; how the data was treated (what the scan found, the policy, the
    // run's report) and who did it are for those who may read the holder's data.
    let insider = caller.permits(&Action::ReadData {
        owner: e.entry.owner.clone(),
    });
    let policy = match (&r.policy_id, insider) {
        (Some(p), true) => s.store.policy(p).await.ok(),
        _ => None,
    };
    let report: Option<serde_json::Value> = if insider {
        s.store
            .release_report(&r.id)
            .await?
            .and_then(|text| serde_json::from_str(&text).ok())
    } else {
        None
    };
    let by = |name: &str| {
        if insider {
            name.to_string()
        } else {
            e.entry.owner.clone()
        }
    };
    let columns = report
        .as_ref()
        .and_then(|r| r["columns"].as_array().cloned())
        .unwrap_or_default();
    let title = format!(
        "{} · {}",
        e.entry.title,
        t.tf("open-release-short", &[("number", r.number.into())])
    );
    let body = html! {
        h1 { (title) }
        table #release {
            tr { th { (t.t("release-audience")) } td { (audience(&t, &r)) } }
            tr { th { (t.t("open-history-version")) } td { (r.version) } }
            tr { th { (t.t("open-history-rows")) } td { (r.rows) } }
            tr { th { (t.t("release-published-by")) } td { (by(&r.published_by)) " · " (when(&t, &r.published_at)) } }
            @if let Some(w) = &r.withdrawn {
                tr { th { (t.t("open-withdrawn")) } td { (by(&w.by)) " · " (when(&t, &w.at)) ": " (w.reason) } }
            }
            tr { th { (t.t("release-input-sha256")) } td { code { (r.input_sha256) } } }
            tr { th { (t.t("release-output-sha256")) } td { code #output-sha256 { (r.output_sha256) } } }
        }
        @if r.withdrawn.is_none() && r.audience == "public" {
            p { a href={ "/open/" (id) } { (t.t("release-downloads")) } }
        }
        @if !insider {
            h2 { (t.t("release-columns")) }
            p { (r.columns.join(", ")) }
        }
        @if insider {
        h2 { (t.t("release-columns")) }
        table #columns {
            tr { th { (t.t("item-name")) } th { (t.t("release-detected")) } th { (t.t("release-treatment")) } }
            @for c in &columns {
                tr {
                    td { code { (c["name"].as_str().unwrap_or("")) } }
                    td { (c["detected"].as_str().unwrap_or("-")) }
                    td {
                        @match c["treatment"].as_str().unwrap_or("") {
                            "clear" => (t.t("treatment-clear")),
                            "transformed" => (t.t("treatment-transformed")),
                            _ => (t.t("treatment-dropped")),
                        }
                    }
                }
            }
        }
        @if let Some(p) = &policy {
            h2 { (t.t("release-policy")) " " code { (p.name) } }
            p.muted { "SHA-256 " code { (p.sha256) } }
            pre #policy { (p.text) }
        }
        @if let Some(report) = &report {
            details {
                summary { (t.t("release-report")) }
                pre #report { (serde_json::to_string_pretty(report).unwrap_or_default()) }
            }
        }
        }
    };
    Ok(page(layout::page(&t, &title, who(&caller), body)))
}
