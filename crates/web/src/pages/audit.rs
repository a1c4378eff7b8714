//! The audit log for those who may read it, filtered by actor, action, target and outcome, and
//! paged by sequence number.

use axum::extract::State;
use axum::response::Html;
use maud::html;
use pubdata_platform::access::Action;
use pubdata_platform::audit::Outcome;
use pubdata_platform::store::AuditFilter;
use serde::{Deserialize, Serialize};

use super::{PageError, PageQuery, blank_as_none, layout, page, signed_in, who};
use crate::AppState;
use crate::auth::Caller;

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
    PageQuery(q): PageQuery<AuditQuery>,
) -> Result<Html<String>, PageError> {
    signed_in(&caller)?;
    caller.may(&s, &Action::ReadAudit, "audit").await?;
    let entries = s.store.audit_entries(&q.filter()).await?;
    let outcomes = [Outcome::Success, Outcome::Denied, Outcome::Failed];
    let body = html! {
        h1 { "审计日志 Audit log" }
        form method="get" {
            label for="actor" { "操作人 Actor" }
            input type="text" #actor name="actor" value=(q.actor);
            label for="action" { "操作 Action" }
            input type="text" #action name="action" value=(q.action);
            label for="target" { "对象 Target" }
            input type="text" #target name="target" value=(q.target);
            label for="outcome" { "结果 Outcome" }
            select #outcome name="outcome" {
                option value="" { "全部 All" }
                @for o in outcomes {
                    option value=(o.name()) selected[q.outcome == Some(o)] { (o.name()) }
                }
            }
            p { button type="submit" { "筛选 Filter" } }
        }
        p.muted { "本页 " (entries.len()) " 条 · " (entries.len()) " entries on this page" }
        nav #pages {
            @if q.after.is_some() {
                a href=(q.link(None)) { "« 第一页 First page" }
                " "
            }
            // A full page may have more after it.
            @if let Some(last) = entries.last().filter(|_| entries.len() as u32 == q.page_size()) {
                a #next href=(q.link(Some(last.seq))) { "下一页 Next page »" }
            }
        }
        table #audit {
            tr {
                th { "#" } th { "时间 At" } th { "操作人 Actor" } th { "操作 Action" }
                th { "对象 Target" } th { "结果 Outcome" } th { "详情 Detail" }
            }
            @for e in &entries {
                @let r = &e.record;
                tr {
                    td { (e.seq) }
                    td { (r.at) }
                    td { (r.actor) }
                    td { (r.action) }
                    td { (r.target) }
                    td { (r.outcome.name()) }
                    td { (r.detail) }
                }
            }
        }
    };
    Ok(page(layout::page("审计日志", who(&caller), body)))
}
