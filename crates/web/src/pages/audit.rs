//! The audit log for those who may read it, filtered by actor, action, target and outcome, and
//! paged by sequence number.

use axum::extract::State;
use axum::response::Html;
use maud::html;
use pubdata_platform::access::Action;
use pubdata_platform::audit::Outcome;
use pubdata_platform::store::AuditFilter;
use serde::{Deserialize, Serialize};

use super::{PageError, PageQuery, blank_as_none, layout, page, signed_in, when, who};
use crate::AppState;
use crate::auth::Caller;
use crate::l10n::Texts;

/// Entries one audit page lists unless asked for fewer, and at most.
const LISTED: u32 = 500;

/// The audit page's filters; an empty field filters nothing.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct AuditQuery {
    actor: String,
    action: String,
    target: String,
    #[serde(
        deserialize_with = "blank_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    outcome: Option<Outcome>,
    /// Entries after this sequence number (the next page).
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<u64>,
    /// Entries a page lists (at most [`LISTED`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        AuditFilter {
            actor: text(&self.actor),
            action: text(&self.action),
            target: text(&self.target),
            outcome: self.outcome,
            after: self.after,
            limit: Some(self.page_size()),
        }
    }

    fn page_size(&self) -> u32 {
        self.limit.unwrap_or(LISTED).clamp(1, LISTED)
    }

    /// This page's address with the same filters, starting after `after` (the first page when
    /// `None`).
    fn link(&self, after: Option<u64>) -> String {
        let page = AuditQuery {
            actor: self.actor.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            outcome: self.outcome,
            after,
            limit: self.limit,
        };
        // Plain strings and numbers always encode.
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&page).unwrap_or_default()
        )
    }
}

pub(super) async fn audit(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
    PageQuery(q): PageQuery<AuditQuery>,
) -> Result<Html<String>, PageError> {
    signed_in(&caller)?;
    caller.may(&s, &Action::ReadAudit, "audit").await?;
    let entries = s.store.audit_entries(&q.filter()).await?;
    let body = html! {
        h1 { (t.t("audit-title")) }
        form method="get" {
            label for="actor" { (t.t("audit-actor")) }
            input type="text" #actor name="actor" value=(q.actor);
            label for="action" { (t.t("audit-action")) }
            input type="text" #action name="action" value=(q.action);
            label for="target" { (t.t("audit-target")) }
            input type="text" #target name="target" value=(q.target);
            label for="outcome" { (t.t("audit-outcome")) }
            select #outcome name="outcome" {
                option value="" { (t.t("audit-all")) }
                @for o in Outcome::ALL {
                    option value=(o.name()) selected[q.outcome == Some(o)] { (t.label(o)) }
                }
            }
            p { button type="submit" { (t.t("audit-filter")) } }
        }
        p.muted { (t.tf("audit-on-page", &[("n", entries.len().into())])) }
        nav #pages {
            @if q.after.is_some() {
                a href=(q.link(None)) { (t.t("audit-first")) }
                " "
            }
            // A full page may have more after it.
            @if let Some(last) = entries.last().filter(|_| entries.len() as u32 == q.page_size()) {
                a #next href=(q.link(Some(last.seq))) { (t.t("audit-next")) }
            }
        }
        table #audit {
            tr {
                th { "#" } th { (t.t("audit-at")) } th { (t.t("audit-actor")) }
                th { (t.t("audit-action")) } th { (t.t("audit-target")) }
                th { (t.t("audit-outcome")) } th { (t.t("audit-detail")) }
            }
            @for e in &entries {
                @let r = &e.record;
                tr {
                    td { (e.seq) }
                    td { (when(&t, &r.at)) }
                    td { (r.actor) }
                    td { (r.action) }
                    td { (r.target) }
                    td data-outcome=(r.outcome.name()) { (t.label(r.outcome)) }
                    td { (r.detail) }
                }
            }
        }
    };
    Ok(page(layout::page(
        &t,
        &t.t("audit-title"),
        who(&caller),
        body,
    )))
}
