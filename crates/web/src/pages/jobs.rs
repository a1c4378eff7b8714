//! The job page: where a release job is, reloading itself every two seconds until it ends, then
//! its report's figures and the download link.

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{Markup, html};
use pubdata_platform::access::Action;
use pubdata_platform::store::{Job, JobKind, JobState};
use serde::Deserialize;

use super::{PageError, layout, page, when, who};
use crate::AppState;
use crate::auth::Caller;
use crate::l10n::Texts;

/// Seconds between reloads of a job that has not ended.
const RELOAD_SECONDS: u32 = 2;

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
            // A release made by an anonymization reports records, like an anonymization.
            JobKind::Deid | JobKind::Publish => (
                self.counts
                    .rows_in
                    .or(self.rows_in)
                    .unwrap_or(self.records_in),
                self.counts
                    .rows_out
                    .or(self.rows_out)
                    .unwrap_or(self.records_out),
            ),
            JobKind::Anonymize => (self.records_in, self.records_out),
        }
    }
}

fn details(t: &Texts, job: &Job) -> Markup {
    // A report this page cannot read shows zeros: the job's state and its download still stand.
    let figures = job
        .report
        .as_ref()
        .map(|r| Figures::deserialize(r).unwrap_or_default().in_out(job.kind));
    html! {
        table #job {
            tr {
                th { (t.t("job-state")) }
                td { b #state data-state=(job.state.as_str()) { (t.label(job.state)) } }
            }
            tr { th { (t.t("job-kind")) } td { (t.label(job.kind)) } }
            tr {
                th { (t.t("job-data")) }
                td { a href={ "/catalog/" (job.entry_id) } { (job.entry_id) } " v" (job.version) }
            }
            tr { th { (t.t("job-policy")) } td { (job.policy_id) } }
            tr { th { (t.t("job-submitted-by")) } td { (job.submitted_by) } }
            tr { th { (t.t("job-submitted")) } td { (when(t, &job.created_at)) } }
            @if let Some(at) = &job.started_at {
                tr { th { (t.t("job-started")) } td { (when(t, at)) } }
            }
            @if job.state == JobState::Running {
                tr {
                    th { (t.t("job-progress")) }
                    td {
                        (t.tf("job-progress-rows", &[
                            ("phase", job.phase.as_str().into()),
                            ("rows", job.rows.into()),
                        ]))
                    }
                }
            }
            @if let Some(at) = &job.finished_at {
                tr { th { (t.t("job-finished")) } td { (when(t, at)) } }
            }
            @if let Some(e) = &job.error {
                tr { th { (t.t("job-error")) } td { span.error { (e) } } }
            }
            @if let Some((rows_in, rows_out)) = figures {
                tr { th { (t.t("job-rows-in")) } td { (rows_in) } }
                tr { th { (t.t("job-rows-out")) } td { (rows_out) } }
            }
        }
    }
}

/// `GET /jobs/{id}`: for whoever may read the holder's data.
pub(super) async fn job(
    State(s): State<AppState>,
    caller: Caller,
    t: Texts,
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
        h1 { (t.t("job-heading")) " " code { (job.id) } }
        (details(&t, &job))
        @if let Some(n) = job.report.as_ref().and_then(|r| r["release"]["number"].as_i64()) {
            p { a #release href={ "/open/" (job.entry_id) "/releases/" (n) } { (t.t("job-release")) } }
        }
        @if job.output.is_some() {
            p {
                a #download href={ "/api/v1/jobs/" (job.id) "/output" } {
                    (t.t("job-download"))
                }
            }
        }
        @if !job.state.is_final() {
            p.muted { (t.tf("job-reloads", &[("seconds", RELOAD_SECONDS.into())])) }
        }
    };
    let title = format!("{} {}", t.t("job-heading"), job.id);
    Ok(page(if job.state.is_final() {
        layout::page(&t, &title, who(&caller), body)
    } else {
        layout::refreshing_page(&t, &title, who(&caller), body, RELOAD_SECONDS)
    }))
}
