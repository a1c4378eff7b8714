//! The job page: where a release job is, reloading itself every two seconds until it ends, then
//! its report's figures and the download link.

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{Markup, html};
use pubdata_platform::access::Action;
use pubdata_platform::store::{Job, JobKind, JobState};
use serde::Deserialize;

use super::{PageError, layout, page, who};
use crate::AppState;
use crate::auth::Caller;

/// Seconds between reloads of a job that has not ended.
const RELOAD_SECONDS: u32 = 2;

fn state_label(s: JobState) -> &'static str {
    match s {
        JobState::Queued => "排队中 Queued",
        JobState::Running => "运行中 Running",
        JobState::Succeeded => "已完成 Succeeded",
        JobState::Failed => "失败 Failed",
        JobState::Cancelled => "已取消 Cancelled",
    }
}

/// The figures the page shows from a job's report: a de-identification counts rows (under
/// `counts`), an anonymization records. Whatever else the report holds is the API's to show.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Figures {
    counts: RowCounts,
    rows_in: Option<u64>,
    rows_out: Option<u64>,
    records_in: u64,
    records_out: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RowCounts {
    rows_in: Option<u64>,
    rows_out: Option<u64>,
}

impl Figures {
    /// Rows (or records) read and written.
    fn in_out(&self, kind: JobKind) -> (u64, u64) {
        match kind {
            JobKind::Deid => (
                self.counts.rows_in.or(self.rows_in).unwrap_or(0),
                self.counts.rows_out.or(self.rows_out).unwrap_or(0),
            ),
            JobKind::Anonymize => (self.records_in, self.records_out),
        }
    }
}

fn details(job: &Job) -> Markup {
    // A report this page cannot read shows zeros: the job's state and its download still stand.
    let figures = job
        .report
        .as_ref()
        .map(|r| Figures::deserialize(r).unwrap_or_default().in_out(job.kind));
    html! {
        table #job {
            tr { th { "状态 State" } td { b #state { (state_label(job.state)) } } }
            tr { th { "类型 Kind" } td { (job.kind.as_str()) } }
            tr {
                th { "数据 Data" }
                td { a href={ "/catalog/" (job.entry_id) } { (job.entry_id) } " v" (job.version) }
            }
            tr { th { "策略 Policy" } td { (job.policy_id) } }
            tr { th { "提交人 Submitted by" } td { (job.submitted_by) } }
            tr { th { "提交时间 Submitted" } td { (job.created_at) } }
            @if let Some(t) = &job.started_at {
                tr { th { "开始 Started" } td { (t) } }
            }
            @if job.state == JobState::Running {
                tr { th { "进度 Progress" } td { (job.phase) " · " (job.rows) " rows" } }
            }
            @if let Some(t) = &job.finished_at {
                tr { th { "结束 Finished" } td { (t) } }
            }
            @if let Some(e) = &job.error {
                tr { th { "错误 Error" } td { span.error { (e) } } }
            }
            @if let Some((rows_in, rows_out)) = figures {
                tr { th { "读入 Rows in" } td { (rows_in) } }
                tr { th { "写出 Rows out" } td { (rows_out) } }
            }
        }
    }
}

/// `GET /jobs/{id}`: for whoever may read the holder's data.
pub(super) async fn job(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let job = s.store.job(&id).await?;
    caller
        .may(
            &s,
            &Action::ReadData {
                owner: job.owner.clone(),
            },
            &format!("job:{id}"),
        )
        .await?;
    let body = html! {
        h1 { "发布任务 Release job " code { (job.id) } }
        (details(&job))
        @if job.output.is_some() {
            p {
                a #download href={ "/api/v1/jobs/" (job.id) "/output" } {
                    "下载结果 Download the release (Parquet)"
                }
            }
        }
        @if !job.state.is_final() {
            p.muted { "本页每 2 秒刷新 This page reloads every 2 s." }
        }
    };
    let title = format!("发布任务 {}", job.id);
    Ok(page(if job.state.is_final() {
        layout::page(&title, who(&caller), body)
    } else {
        layout::refreshing_page(&title, who(&caller), body, RELOAD_SECONDS)
    }))
}
