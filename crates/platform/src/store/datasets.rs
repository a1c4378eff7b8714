//! Dataset versions: one row per accepted upload, listing the Parquet parts that make it up.

use serde::Serialize;

use super::audit_log::append;
use super::{Store, StoreError, int, now, text};
use crate::audit::{AuditHead, Outcome};

/// A committed version as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionInfo {
    /// The catalog entry.
    pub entry_id: String,
    /// 1, 2, ...
    pub version: i64,
    /// `append` or `replace`.
    pub mode: String,
    /// Records in the version.
    pub rows: i64,
    /// Parquet parts, relative to the datasets folder.
    pub parts: Vec<String>,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// The name the uploader gave the file.
    pub source_name: String,
    /// When it was committed.
    pub created_at: String,
    /// The upload's quality report, as JSON.
    #[schema(value_type = crate::quality::QualityReport)]
    pub report: serde_json::Value,
    /// The audit entry that committed it (none for versions from before it was recorded): the
    /// chain must still hold it, which `audit verify` checks.
    pub audit_head: Option<AuditHead>,
}

impl VersionInfo {
    /// The upload's quality report, typed: read once here so no reader picks fields out of the
    /// JSON by name.
    pub fn quality_report(&self) -> Result<crate::quality::QualityReport, StoreError> {
        serde_json::from_value(self.report.clone()).map_err(|e| StoreError::Corrupt {
            what: "quality report",
            message: e.to_string(),
        })
    }
}

fn parts_of(row: &sqlx::any::AnyRow) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&text(row, "path")?).map_err(|e| StoreError::Corrupt {
        what: "dataset parts",
        message: e.to_string(),
    })
}

fn info(row: &sqlx::any::AnyRow) -> Result<VersionInfo, StoreError> {
    Ok(VersionInfo {
        entry_id: text(row, "entry_id")?,
        version: int(row, "version")?,
        mode: text(row, "mode")?,
        rows: int(row, "row_count")?,
        parts: parts_of(row)?,
        uploaded_by: text(row, "uploaded_by")?,
        source_name: text(row, "source_name")?,
        created_at: text(row, "created_at")?,
        report: serde_json::from_str(&text(row, "report")?).unwrap_or(serde_json::Value::Null),
        audit_head: match int(row, "audit_seq")? {
            0 => None,
            seq => Some(AuditHead {
                seq: seq as u64,
                hash: text(row, "audit_hash")?,
            }),
        },
    })
}

impl Store {
    /// Every part that some version lists (read as a stream: a province has many versions).
    pub async fn referenced_parts(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        use futures::TryStreamExt;
        let mut rows = sqlx::query("SELECT path FROM dataset_versions").fetch(&self.pool);
        let mut parts = std::collections::HashSet::new();
        while let Some(row) = rows.try_next().await? {
            parts.extend(parts_of(&row)?);
        }
        Ok(parts)
    }

    /// Commits a new version of `entry_id` made of `part` (and, for `append`, the previous
    /// version's parts), with its audit entry. Returns the version, its rows and its parts.
    #[allow(clippy::too_many_arguments)]
    pub async fn commit_version(
        &self,
        entry_id: &str,
        mode: &str,
        part: &str,
        accepted: i64,
        actor: &str,
        source_name: &str,
        report: &str,
    ) -> Result<(i64, i64, Vec<String>), StoreError> {
        let (mut tx, _turn) = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM catalog_entries WHERE id = $1")
            .bind(entry_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "catalog entry",
                id: entry_id.to_string(),
            });
        }
        let last = sqlx::query(
            "SELECT version, row_count, path FROM dataset_versions
             WHERE entry_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(entry_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (version, mut rows, mut parts) = match (&last, mode) {
            (Some(r), "append") => (int(r, "version")? + 1, int(r, "row_count")?, parts_of(r)?),
            (Some(r), _) => (int(r, "version")? + 1, 0, Vec::new()),
            (None, _) => (1, 0, Vec::new()),
        };
        rows += accepted;
        parts.push(part.to_string());
        let paths =
            serde_json::to_string(&parts).map_err(|e| StoreError::Invalid(e.to_string()))?;
        // The version's own audit entry is the chain's head when it commits; the version row
        // records it, a second record of the head outside the audit table (beside the checkpoint
        // file), so a later deletion of the newest entries shows against every version since.
        let head = append(
            &mut tx,
            actor,
            "dataset.ingest",
            &format!("entry:{entry_id}"),
            Outcome::Success,
            &format!("version {version} ({mode}): {accepted} rows accepted, {rows} in the version"),
        )
        .await?;
        // Two uploads racing for the same version number collide on the primary key.
        sqlx::query(
            "INSERT INTO dataset_versions
               (entry_id, version, mode, path, row_count, uploaded_by, source_name, report,
                created_at, audit_seq, audit_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(entry_id)
        .bind(version)
        .bind(mode)
        .bind(&paths)
        .bind(rows)
        .bind(actor)
        .bind(source_name)
        .bind(report)
        .bind(now())
        .bind(head.seq as i64)
        .bind(&head.hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((version, rows, parts))
    }

    /// The versions of an entry, newest first.
    pub async fn versions(&self, entry_id: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT entry_id, version, mode, path, row_count, uploaded_by, source_name, report,
                    created_at, audit_seq, audit_hash
             FROM dataset_versions WHERE entry_id = $1 ORDER BY version DESC",
        )
        .bind(entry_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(info).collect()
    }

    /// The current (highest) version of every entry that has one.
    pub async fn current_versions(&self) -> Result<Vec<VersionInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.entry_id, v.version, v.mode, v.path, v.row_count, v.uploaded_by,
                    v.source_name, v.report, v.created_at, v.audit_seq, v.audit_hash
             FROM dataset_versions v
             WHERE v.version = (SELECT MAX(w.version) FROM dataset_versions w
                                WHERE w.entry_id = v.entry_id)
             ORDER BY v.entry_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(info).collect()
    }
}
