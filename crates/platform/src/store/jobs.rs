//! Stored policies and the server's jobs. A job is queued, claimed by one worker (running, with
//! its phase, rows and a heartbeat), then succeeded (its report and output recorded), failed
//! (its error) or cancelled. A running job whose heartbeat stopped belonged to a process that
//! died: it is failed, never left running. Submitting, cancelling and every end are audited.

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;

use super::audit_log::append;
use super::{Store, StoreError, int, new_id, now, text, time_after};
use crate::audit::Outcome;

/// A running job whose heartbeat is older than this is taken for dead.
pub const HEARTBEAT_STALE: std::time::Duration = std::time::Duration::from_secs(10);

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// De-identify a dataset version with a stored policy.
    Deid,
    /// Anonymize a dataset version with a stored policy's `[anonymize]` table.
    Anonymize,
    /// Publish a release (开放) of a dataset version: scan it, apply a stored de-identification
    /// policy, check the opening rules, and record the release.
    Publish,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 3] = [JobKind::Deid, JobKind::Anonymize, JobKind::Publish];

    /// Its name in the store, the API and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Deid => "deid",
            JobKind::Anonymize => "anonymize",
            JobKind::Publish => "publish",
        }
    }
}

impl std::str::FromStr for JobKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<JobKind, StoreError> {
        match s {
            "deid" => Ok(JobKind::Deid),
            "anonymize" => Ok(JobKind::Anonymize),
            "publish" => Ok(JobKind::Publish),
            other => Err(StoreError::Invalid(format!(
                "kind: {other:?} is not a job kind (deid, anonymize or publish)"
            ))),
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker is running it.
    Running,
    /// Done: its output and report are recorded.
    Succeeded,
    /// Stopped by an error, or by the death of the process that ran it.
    Failed,
    /// Cancelled before it finished; nothing was written.
    Cancelled,
}

impl JobState {
    /// Every state, in the order a job goes through them.
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
    ];

    /// Its name in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }

    fn parse(s: &str) -> Result<JobState, StoreError> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            other => {
                return Err(StoreError::Corrupt {
                    what: "job state",
                    message: other.to_string(),
                });
            }
        })
    }
}

/// A policy stored on the platform, which jobs name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredPolicy {
    /// Id, `p-` and 20 characters.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// The job kind it is for.
    pub kind: JobKind,
    /// The TOML text.
    pub text: String,
    /// SHA-256 of the text, hex.
    pub sha256: String,
    /// The organization it belongs to.
    pub owner: String,
    /// Who stored it.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl StoredPolicy {
    /// Refuses a policy stored for another kind of job, naming both.
    pub fn fits(&self, kind: JobKind) -> Result<(), StoreError> {
        // A release is published through a de-identification or an anonymization policy.
        if self.kind == kind || kind == JobKind::Publish {
            return Ok(());
        }
        Err(StoreError::Invalid(format!(
            "policy: {:?} is for {} jobs, not {} ones",
            self.name,
            self.kind.as_str(),
            kind.as_str()
        )))
    }
}

impl StoredPolicy {
    /// Refuses a policy of another organization than the data's holder: each holder decides how
    /// its own data is released.
    pub fn belongs_to(&self, owner: &str) -> Result<(), StoreError> {
        if self.owner == owner {
            return Ok(());
        }
        Err(StoreError::Invalid(format!(
            "policy: {:?} belongs to {}, not to {owner}, which holds the data",
            self.name, self.owner
        )))
    }
}

/// A job to submit.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What it does.
    pub kind: JobKind,
    /// The entry whose version it reads.
    pub entry_id: String,
    /// The version.
    pub version: i64,
    /// The stored policy.
    pub policy_id: String,
    /// The organization holding the entry.
    pub owner: String,
}

/// A job as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Id, `j-` and 20 characters.
    pub id: String,
    /// What it does.
    pub kind: JobKind,
    /// The entry whose version it reads.
    pub entry_id: String,
    /// The version.
    pub version: i64,
    /// The stored policy.
    pub policy_id: String,
    /// The organization holding the entry.
    pub owner: String,
    /// Where it is.
    pub state: JobState,
    /// What it is doing while running.
    pub phase: String,
    /// Rows read in the phase.
    pub rows: i64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The pipeline's report, once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    /// The output object, once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Whether a cancel was asked for while it ran.
    pub cancel_requested: bool,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub created_at: String,
    /// When a worker took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

const JOB_COLUMNS: &str = "id, kind, entry_id, version, policy_id, owner, state, phase, rows_done, \
     error, report, output, cancel_requested, submitted_by, created_at, started_at, finished_at";

fn some(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn job(row: &sqlx::any::AnyRow) -> Result<Job, StoreError> {
    let report = some(text(row, "report")?)
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| StoreError::Corrupt {
            what: "job report",
            message: e.to_string(),
        })?;
    Ok(Job {
        id: text(row, "id")?,
        kind: text(row, "kind")?.parse()?,
        entry_id: text(row, "entry_id")?,
        version: int(row, "version")?,
        policy_id: text(row, "policy_id")?,
        owner: text(row, "owner")?,
        state: JobState::parse(&text(row, "state")?)?,
        phase: text(row, "phase")?,
        rows: int(row, "rows_done")?,
        error: some(text(row, "error")?),
        report,
        output: some(text(row, "output")?),
        cancel_requested: int(row, "cancel_requested")? != 0,
        submitted_by: text(row, "submitted_by")?,
        created_at: text(row, "created_at")?,
        started_at: some(text(row, "started_at")?),
        finished_at: some(text(row, "finished_at")?),
    })
}

fn policy(row: &sqlx::any::AnyRow) -> Result<StoredPolicy, StoreError> {
    Ok(StoredPolicy {
        id: text(row, "id")?,
        name: text(row, "name")?,
        kind: text(row, "kind")?.parse()?,
        text: text(row, "body")?,
        sha256: text(row, "sha256")?,
        owner: text(row, "owner")?,
        created_by: text(row, "created_by")?,
        created_at: text(row, "created_at")?,
    })
}

/// A job's state and submitter, read inside a write transaction.
async fn state_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
) -> Result<(JobState, String), StoreError> {
    let row = sqlx::query("SELECT submitted_by, state FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "job",
            id: id.to_string(),
        })?;
    Ok((
        JobState::parse(&text(&row, "state")?)?,
        text(&row, "submitted_by")?,
    ))
}

/// How a job ended, as its worker reports it.
#[derive(Debug, Clone)]
pub enum JobEnd {
    /// Done, with the output object and the report (JSON).
    Succeeded {
        /// The output object's key.
        output: String,
        /// The report, as JSON text.
        report: String,
    },
    /// Stopped by an error (a message for the submitter: no server paths, no values).
    Failed(String),
    /// Stopped by a cancel.
    Cancelled,
}

impl Store {
    /// Stores a policy (its text already checked by the caller), audited.
    pub async fn create_policy(
        &self,
        actor: &str,
        name: &str,
        kind: JobKind,
        body: &str,
        owner: &str,
    ) -> Result<StoredPolicy, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "name: give a policy name of 1 to 100 characters".into(),
            ));
        }
        let (mut tx, _turn) = self.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM policies WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "a policy named {name:?} exists already"
            )));
        }
        let stored = StoredPolicy {
            id: new_id("p-"),
            name: name.to_string(),
            kind,
            text: body.to_string(),
            sha256: {
                use sha2::Digest;
                data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(body.as_bytes()))
            },
            owner: owner.to_string(),
            created_by: actor.to_string(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO policies (id, name, kind, body, sha256, owner, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&stored.id)
        .bind(&stored.name)
        .bind(kind.as_str())
        .bind(&stored.text)
        .bind(&stored.sha256)
        .bind(owner)
        .bind(actor)
        .bind(&stored.created_at)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            "policy.create",
            &format!("policy:{}", stored.id),
            Outcome::Success,
            &format!(
                "{} policy {name:?}, sha256 {}",
                kind.as_str(),
                stored.sha256
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// A stored policy.
    pub async fn policy(&self, id: &str) -> Result<StoredPolicy, StoreError> {
        let row = sqlx::query("SELECT * FROM policies WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "policy",
                id: id.to_string(),
            })?;
        policy(&row)
    }

    /// Stored policies, by name.
    pub async fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        let rows = sqlx::query("SELECT * FROM policies ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(policy).collect()
    }

    /// Queues a job, audited.
    pub async fn submit_job(&self, actor: &str, new: &NewJob) -> Result<Job, StoreError> {
        let (mut tx, _turn) = self.begin_write().await?;
        let id = new_id("j-");
        let created = now();
        sqlx::query(
            "INSERT INTO jobs (id, kind, entry_id, version, policy_id, owner, state, submitted_by,
                               created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8)",
        )
        .bind(&id)
        .bind(new.kind.as_str())
        .bind(&new.entry_id)
        .bind(new.version)
        .bind(&new.policy_id)
        .bind(&new.owner)
        .bind(actor)
        .bind(&created)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            "job.submit",
            &format!("job:{id}"),
            Outcome::Success,
            &format!(
                "{} of entry:{} version {} with policy:{}",
                new.kind.as_str(),
                new.entry_id,
                new.version,
                new.policy_id
            ),
        )
        .await?;
        tx.commit().await?;
        self.job(&id).await
    }

    /// A job.
    pub async fn job(&self, id: &str) -> Result<Job, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "job",
            id: id.to_string(),
        })?;
        job(&row)
    }

    /// The newest jobs first, at most `limit`; only `owner`'s when given.
    pub async fn jobs(&self, owner: Option<&str>, limit: i64) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1 = '' OR owner = $1)
             ORDER BY created_at DESC, id LIMIT $2"
        )))
        .bind(owner.unwrap_or(""))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job).collect()
    }

    /// Takes the oldest queued job for a worker, marking it running; None when the queue is
    /// empty. Two workers never take the same job: the claim is one conditional update.
    pub async fn claim_job(&self) -> Result<Option<Job>, StoreError> {
        loop {
            let next = sqlx::query(
                "SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_at, id LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = next else {
                return Ok(None);
            };
            let id = text(&row, "id")?;
            let started = now();
            let taken = sqlx::query(
                "UPDATE jobs SET state = 'running', started_at = $1, heartbeat_at = $1
                 WHERE id = $2 AND state = 'queued'",
            )
            .bind(&started)
            .bind(&id)
            .execute(&self.pool)
            .await?;
            if taken.rows_affected() == 1 {
                return self.job(&id).await.map(Some);
            }
            // Another worker took it first (or it was cancelled): look again.
        }
    }

    /// Records a running job's progress and heartbeat; returns whether a cancel was asked for.
    pub async fn job_progress(&self, id: &str, phase: &str, rows: i64) -> Result<bool, StoreError> {
        sqlx::query(
            "UPDATE jobs SET phase = $1, rows_done = $2, heartbeat_at = $3
             WHERE id = $4 AND state = 'running'",
        )
        .bind(phase)
        .bind(rows)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT cancel_requested FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&row, "cancel_requested")? != 0)
    }

    /// Ends a running job, audited under its submitter's name. A job no longer running (failed
    /// as dead meanwhile) is left as it is, and its end is not recorded: returns false.
    pub async fn finish_job(&self, id: &str, end: &JobEnd) -> Result<bool, StoreError> {
        let (mut tx, _turn) = self.begin_write().await?;
        let (state, actor) = state_in(&mut tx, id).await?;
        if state != JobState::Running {
            return Ok(false);
        }
        let (state, error, output, report, outcome, detail) = match end {
            JobEnd::Succeeded { output, report } => (
                JobState::Succeeded,
                "",
                output.as_str(),
                report.as_str(),
                Outcome::Success,
                format!("output {output}"),
            ),
            JobEnd::Failed(message) => (
                JobState::Failed,
                message.as_str(),
                "",
                "",
                Outcome::Failed,
                message.clone(),
            ),
            JobEnd::Cancelled => (
                JobState::Cancelled,
                "",
                "",
                "",
                Outcome::Failed,
                "cancelled".to_string(),
            ),
        };
        sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, output = $3, report = $4, finished_at = $5
             WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(output)
        .bind(report)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor,
            &format!("job.{}", state.as_str()),
            &format!("job:{id}"),
            outcome,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Cancels a job: a queued one at once, a running one at its worker's next batch (asked
    /// here, recorded when the worker stops). Audited. Returns the job as it now stands.
    pub async fn cancel_job(&self, actor: &str, id: &str) -> Result<Job, StoreError> {
        let (mut tx, _turn) = self.begin_write().await?;
        let (state, _) = state_in(&mut tx, id).await?;
        if state.is_final() {
            return Err(StoreError::Conflict(format!(
                "job {id} has already {}",
                match state {
                    JobState::Succeeded => "succeeded",
                    JobState::Failed => "failed",
                    _ => "been cancelled",
                }
            )));
        }
        if state == JobState::Queued {
            sqlx::query(
                "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = $1
                 WHERE id = $2",
            )
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        append(
            &mut tx,
            actor,
            "job.cancel",
            &format!("job:{id}"),
            Outcome::Success,
            if state == JobState::Queued {
                "cancelled while queued"
            } else {
                "cancel asked while running"
            },
        )
        .await?;
        tx.commit().await?;
        drop(_turn);
        self.job(id).await
    }

    /// Fails the running jobs whose heartbeat is older than `stale` ([`HEARTBEAT_STALE`] in the
    /// server): their process died. Audited, one entry each. Returns their ids.
    pub async fn fail_dead_jobs(
        &self,
        stale: std::time::Duration,
    ) -> Result<Vec<String>, StoreError> {
        let stale = time_after(-chrono::Duration::from_std(stale).unwrap_or_default());
        // Looked for with a plain read first: the reaper runs every few seconds, and a write
        // transaction each time would make every ingest wait its turn behind it.
        let any = sqlx::query(
            "SELECT id FROM jobs WHERE state = 'running' AND heartbeat_at < $1 LIMIT 1",
        )
        .bind(&stale)
        .fetch_optional(&self.pool)
        .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let (mut tx, _turn) = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, submitted_by FROM jobs WHERE state = 'running' AND heartbeat_at < $1",
        )
        .bind(&stale)
        .fetch_all(&mut *tx)
        .await?;
        let mut failed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = text(row, "id")?;
            let message = "the server stopped while the job ran; nothing was written";
            sqlx::query(
                "UPDATE jobs SET state = 'failed', error = $1, finished_at = $2
                 WHERE id = $3 AND state = 'running'",
            )
            .bind(message)
            .bind(now())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            append(
                &mut tx,
                &text(row, "submitted_by")?,
                "job.failed",
                &format!("job:{id}"),
                Outcome::Failed,
                message,
            )
            .await?;
            failed.push(id);
        }
        tx.commit().await?;
        Ok(failed)
    }
}
