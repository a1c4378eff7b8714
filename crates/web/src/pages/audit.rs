//! The audit log for those who may read it, filtered by actor, action, target and outcome, and
//! paged by sequence number.

use axum::extract::State;
use axum::response::Html;
use maud::html;
use pubdata_platform::access::Action;
use pubdata_platform::audit::Outcome;
use pubdata_platform::store::AuditFilter;
use serde::Deserialize;

use super::{PageError, PageQuery, blank_as_none, layout, page, signed_in, who};
use crate::AppState;
use crate::auth::Caller;

/// Entries one audit page lists at most.
const LISTED: u32 = 500;

/// The audit page's filters; an empty field filters nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AuditQuery {
    actor: String,
    action: String,
    target: String,
    #[serde(deserialize_with = "blank_as_none")]
    outcome: Option<Outcome>,
    /// Entries after this sequence number (the next page).
    after: Option<u64>,
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
            limit: Some(LISTED),
        }
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
            label for="outcome" { "结果 Outcome" }
            select #outcome name="outcome" {
                option value="" { "全部 All" }
                @for o in outcomes {
                    option value=(o.name()) selected[q.outcome == Some(o)] { (o.name()) }
                }
            }
            p { button type="submit" { "筛选 Filter" } }
        }
        p.muted {
            (entries.len()) " entries shown (at most " (LISTED) "; use ?after=N for the next page)"
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
