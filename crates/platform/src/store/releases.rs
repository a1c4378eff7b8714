//! Releases (开放): published snapshots of a catalog entry, numbered per entry, made only where
//! the opening rules allow ([`crate::opening::check_release`], checked here against the stored
//! entry so that no door can skip it), withdrawn with a reason and kept in the record.

use serde::Serialize;
use sqlx::Row;

use super::audit_log::append;
use super::{Store, StoreError, int, new_id, now, text};
use crate::audit::Outcome;
use crate::opening::{ReleasePlan, Treatment, check_release};

/// A release to publish: what was made from which version, and how.
#[derive(Debug, Clone)]
pub struct NewRelease {
    /// The catalog entry.
    pub entry_id: String,
    /// The dataset version it was made from.
    pub version: i64,
    /// Its columns and what was done to each, with the policies applied.
    pub plan: ReleasePlan,
    /// The immutable object in the dataset location.
    pub object: String,
    /// Rows released.
    pub rows: i64,
    /// The stored policy applied, if any.
    pub policy_id: Option<String>,
    /// The pipeline's report (JSON), if any.
    pub report: Option<String>,
    /// SHA-256 of the version's data and of the object, in hex.
    pub input_sha256: String,
    /// SHA-256 of the object, in hex.
    pub output_sha256: String,
}

/// A release as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Release {
    /// Its id (`r-…`).
    pub id: String,
    /// The catalog entry.
    pub entry_id: String,
    /// Its number among the entry's releases, from 1.
    pub number: i64,
    /// The dataset version it was made from.
    pub version: i64,
    /// Who it may be served to: `public` or `grants`.
    pub audience: String,
    /// The object in the dataset location (the server's; never shown).
    #[serde(skip)]
    pub object: String,
    /// Rows released.
    pub rows: i64,
    /// The columns released (transformed or as they were), in order.
    pub columns: Vec<String>,
    /// The stored policy applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// SHA-256 of the version's data.
    pub input_sha256: String,
    /// SHA-256 of the released object.
    pub output_sha256: String,
    /// Who published it.
    pub published_by: String,
    /// When.
    pub published_at: String,
    /// Who withdrew it, when and why, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
    /// Each column with what the scan found and what the release did: the opening rules judge
    /// it again against the entry as it is now before the release is served.
    #[serde(skip)]
    pub plan: ReleasePlan,
}

/// A release's withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Withdrawal {
    /// Who withdrew it.
    pub by: String,
    /// When.
    pub at: String,
    /// Why.
    pub reason: String,
}

impl Release {
    /// Whether it may still be served.
    pub fn is_live(&self) -> bool {
        self.withdrawn.is_none()
    }
}

const COLUMNS: &str = "id, entry_id, number, version, audience, object, rows_released, \
     columns_released, policy_id, input_sha256, output_sha256, published_by, published_at, \
     withdrawn_by, withdrawn_at, withdrawn_reason, plan";

fn release(row: &sqlx::any::AnyRow) -> Result<Release, StoreError> {
    let columns: Vec<String> =
        serde_json::from_str(&text(row, "columns_released")?).map_err(|e| StoreError::Corrupt {
            what: "release columns",
            message: e.to_string(),
        })?;
    let withdrawn_at = text(row, "withdrawn_at")?;
    let plan_text = text(row, "plan")?;
    let plan = if plan_text.is_empty() {
        // Recorded before plans were kept: its columns as published, found to hold nothing.
        ReleasePlan::as_published(&columns)
    } else {
        serde_json::from_str(&plan_text).map_err(|e| StoreError::Corrupt {
            what: "release plan",
            message: e.to_string(),
        })?
    };
    Ok(Release {
        id: text(row, "id")?,
        entry_id: text(row, "entry_id")?,
        number: int(row, "number")?,
        version: int(row, "version")?,
        audience: text(row, "audience")?,
        object: text(row, "object")?,
        rows: int(row, "rows_released")?,
        columns,
        policy_id: Some(text(row, "policy_id")?).filter(|p| !p.is_empty()),
        input_sha256: text(row, "input_sha256")?,
        output_sha256: text(row, "output_sha256")?,
        published_by: text(row, "published_by")?,
        published_at: text(row, "published_at")?,
        withdrawn: if withdrawn_at.is_empty() {
            None
        } else {
            Some(Withdrawal {
                by: text(row, "withdrawn_by")?,
                at: withdrawn_at,
                reason: text(row, "withdrawn_reason")?,
            })
        },
        plan,
    })
}

/// Longest withdrawal reason, in characters.
pub const MAX_REASON: usize = 2000;

impl Store {
    /// Publishes `new` as the entry's next release, if the opening rules allow it for the entry
    /// as stored now; a refusal names every reason and is audited.
    pub async fn publish_release(
        &self,
        new: &NewRelease,
        actor: &str,
    ) -> Result<Release, StoreError> {
        // The rules are judged with the writers' turn held, so no catalog edit commits between
        // the check and the release.
        let (mut tx, turn) = self.begin_write().await?;
        let entry = self.entry(&new.entry_id).await?;
        if !self
            .versions(&new.entry_id)
            .await?
            .iter()
            .any(|v| v.version == new.version)
        {
            return Err(StoreError::NotFound {
                what: "dataset version",
                id: format!("{} v{}", new.entry_id, new.version),
            });
        }
        let target = format!("entry:{}", new.entry_id);
        let audience = match check_release(&entry.entry, &new.plan) {
            Ok(a) => a,
            Err(refusals) => {
                append(
                    &mut tx,
                    actor,
                    "release.publish",
                    &target,
                    Outcome::Failed,
                    &refusals.to_string(),
                )
                .await?;
                tx.commit().await?;
                drop(turn);
                return Err(refusals.into());
            }
        };
        let columns: Vec<String> = new
            .plan
            .columns
            .iter()
            .filter(|c| c.treatment != Treatment::Dropped)
            .map(|c| c.name.clone())
            .collect();
        let columns_json =
            serde_json::to_string(&columns).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let plan_json =
            serde_json::to_string(&new.plan).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = new_id("r-");
        let at = now();
        // Numbers are taken inside the write turn, so two publishers never share one.
        let last: Option<i64> =
            sqlx::query("SELECT MAX(number) AS n FROM releases WHERE entry_id = $1")
                .bind(&new.entry_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        let number = last.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO releases
               (id, entry_id, number, version, audience, object, rows_released, columns_released,
                policy_id, report, input_sha256, output_sha256, published_by, published_at, plan)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&id)
        .bind(&new.entry_id)
        .bind(number)
        .bind(new.version)
        .bind(audience.name())
        .bind(&new.object)
        .bind(new.rows)
        .bind(&columns_json)
        .bind(new.policy_id.clone().unwrap_or_default())
        .bind(new.report.clone().unwrap_or_default())
        .bind(&new.input_sha256)
        .bind(&new.output_sha256)
        .bind(actor)
        .bind(&at)
        .bind(&plan_json)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            "release.publish",
            &format!("release:{id}"),
            Outcome::Success,
            &format!(
                "{} release {number} of v{} for {} ({} rows, sha256 {})",
                new.entry_id,
                new.version,
                audience.name(),
                new.rows,
                new.output_sha256
            ),
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        self.release(&id).await
    }

    /// Release `id`, withdrawn or not.
    pub async fn release(&self, id: &str) -> Result<Release, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM releases WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "release",
                id: id.to_string(),
            })?;
        release(&row)
    }

    /// The report of release `id`'s run, as the job recorded it (JSON), if any.
    pub async fn release_report(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT report FROM releases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "release",
                id: id.to_string(),
            })?;
        Ok(Some(text(&row, "report")?).filter(|r| !r.is_empty()))
    }

    /// Every release made for the public, newest first per entry, withdrawn ones included.
    pub async fn public_releases(&self) -> Result<Vec<Release>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM releases WHERE audience = 'public' ORDER BY entry_id, number DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(release)
            .collect()
    }

    /// The release whose object is `object`, if one was published from it.
    pub async fn release_by_object(&self, object: &str) -> Result<Option<Release>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM releases WHERE object = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(object)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(release)
            .transpose()
    }

    /// The entry's releases, newest first, withdrawn ones included (the record).
    pub async fn releases(&self, entry_id: &str) -> Result<Vec<Release>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM releases WHERE entry_id = $1 ORDER BY number DESC");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entry_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(release)
            .collect()
    }

    /// Withdraws release `id`: it is no longer served, but stays in the record with `reason`.
    /// A release is withdrawn once.
    pub async fn withdraw_release(
        &self,
        id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<Release, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "reason: say why the release is withdrawn".into(),
            ));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(StoreError::Invalid(format!(
                "reason: at most {MAX_REASON} characters"
            )));
        }
        let (mut tx, _turn) = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE releases SET withdrawn_by = $1, withdrawn_at = $2, withdrawn_reason = $3
             WHERE id = $4 AND withdrawn_at = ''",
        )
        .bind(actor)
        .bind(now())
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            drop(tx);
            // Missing, or withdrawn before: say which.
            let r = self.release(id).await?;
            return Err(StoreError::Conflict(format!(
                "release {} was already withdrawn at {}",
                r.id,
                r.withdrawn.map(|w| w.at).unwrap_or_default()
            )));
        }
        append(
            &mut tx,
            actor,
            "release.withdraw",
            &format!("release:{id}"),
            Outcome::Success,
            reason,
        )
        .await?;
        tx.commit().await?;
        self.release(id).await
    }
}
