//! The job page: where a release job is, reloading itself every two seconds until it ends, then
//! its report's figures and the download link.

use axum::extract::{Path, State};
use axum::response::Html;
use pubdata_platform::access::Action;
use pubdata_platform::store::JobState;

use crate::AppState;
use crate::auth::Caller;
use crate::html::{esc, page, refreshing_page};
use crate::pages::{PageError, who};

fn state_label(s: JobState) -> &'static str {
    match s {
        JobState::Queued => "排队中 Queued",
        JobState::Running => "运行中 Running",
        JobState::Succeeded => "已完成 Succeeded",
        JobState::Failed => "失败 Failed",
        JobState::Cancelled => "已取消 Cancelled",
    }
}

/// `GET /jobs/{id}`: for whoever may read the holder's data.
pub(crate) async fn job(
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
    let row = |k: &str, v: &str| format!("<tr><th>{k}</th><td>{v}</td></tr>");
    let mut body = format!(
        "<h1>发布任务 Release job <code>{}</code></h1><table id=job>",
        esc(&job.id)
    );
    body.push_str(&row(
        "状态 State",
        &format!("<b id=state>{}</b>", state_label(job.state)),
    ));
    body.push_str(&row("类型 Kind", job.kind.as_str()));
    body.push_str(&row(
        "数据 Data",
        &format!(
            "<a href=\"/catalog/{}\">{}</a> v{}",
            esc(&job.entry_id),
            esc(&job.entry_id),
            job.version
        ),
    ));
    body.push_str(&row("策略 Policy", &esc(&job.policy_id)));
    body.push_str(&row("提交人 Submitted by", &esc(&job.submitted_by)));
    body.push_str(&row("提交时间 Submitted", &esc(&job.created_at)));
    if let Some(t) = &job.started_at {
        body.push_str(&row("开始 Started", &esc(t)));
    }
    if job.state == JobState::Running {
        body.push_str(&row(
            "进度 Progress",
            &format!("{} · {} rows", esc(&job.phase), job.rows),
        ));
    }
    if let Some(t) = &job.finished_at {
        body.push_str(&row("结束 Finished", &esc(t)));
    }
    if let Some(e) = &job.error {
        body.push_str(&row(
            "错误 Error",
            &format!("<span class=error>{}</span>", esc(e)),
        ));
    }
    if let Some(r) = &job.report {
        let n = |k: &str| {
            r["counts"][k]
                .as_u64()
                .or_else(|| r[k].as_u64())
                .unwrap_or(0)
        };
        let (rows_in, rows_out) = match job.kind {
            pubdata_platform::store::JobKind::Deid => (n("rows_in"), n("rows_out")),
            pubdata_platform::store::JobKind::Anonymize => (n("records_in"), n("records_out")),
        };
        body.push_str(&row("读入 Rows in", &rows_in.to_string()));
        body.push_str(&row("写出 Rows out", &rows_out.to_string()));
    }
    body.push_str("</table>");
    if job.output.is_some() {
        body.push_str(&format!(
            "<p><a id=download href=\"/api/v1/jobs/{}/output\">下载结果 Download the release (Parquet)</a></p>",
            esc(&job.id)
        ));
    }
    let title = format!("发布任务 {}", job.id);
    Ok(Html(if job.state.is_final() {
        page(&title, who(&caller), &body)
    } else {
        body.push_str("<p class=muted>本页每 2 秒刷新 This page reloads every 2 s.</p>");
        refreshing_page(&title, who(&caller), &body, 2)
    }))
}
