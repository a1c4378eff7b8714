//! Removes parts that no version lists. An ingest that stops between uploading its part and
//! committing its version leaves such a part behind (a crash, a lost database connection); nothing
//! can read it, but it takes space and, for restricted data, is a copy nobody accounts for.
//!
//! A part younger than the grace period may belong to an ingest still under way, so it is kept.
//! The location is listed before the references are read: a part whose version commits in
//! between is then seen as referenced, never removed.

use serde::Serialize;

use crate::audit::Outcome;
use crate::ingest::IngestError;
use crate::storage::DatasetStorage;
use crate::store::Store;

/// What a sweep found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    /// Objects in the location.
    pub objects: u64,
    /// Objects some version lists.
    pub referenced: u64,
    /// Unlisted objects kept because they are younger than the grace period.
    pub recent: u64,
    /// Unlisted objects removed (or, in a dry run, that would be).
    pub removed: Vec<String>,
    /// Their total size in bytes.
    pub removed_bytes: u64,
    /// Whether nothing was removed on purpose.
    pub dry_run: bool,
}

/// Sweeps `datasets` of parts no version in `store` lists and older than `grace`. A real sweep
/// that removes anything is audited as done by `actor`.
pub async fn sweep(
    store: &Store,
    datasets: &DatasetStorage,
    grace: chrono::Duration,
    dry_run: bool,
    actor: &str,
) -> Result<SweepReport, IngestError> {
    let objects = datasets.list().await?;
    let referenced = store.referenced_parts().await?;
    let cutoff = chrono::Utc::now() - grace;
    let mut report = SweepReport {
        dry_run,
        ..SweepReport::default()
    };
    for o in objects {
        report.objects += 1;
        if referenced.contains(&o.part) {
            report.referenced += 1;
        } else if o.modified > cutoff {
            report.recent += 1;
        } else {
            if !dry_run {
                datasets.delete(&o.part).await?;
            }
            report.removed_bytes += o.size;
            report.removed.push(o.part);
        }
    }
    if !dry_run && !report.removed.is_empty() {
        let detail = format!(
            "{} unreferenced parts removed ({} bytes): {}",
            report.removed.len(),
            report.removed_bytes,
            report.removed.join(", ")
        );
        // Long lists are cut: the count and size above are what an auditor needs first.
        let detail: String = detail.chars().take(4000).collect();
        store
            .audit(
                actor,
                "dataset.sweep",
                "datasets",
                Outcome::Success,
                &detail,
            )
            .await?;
    }
    Ok(report)
}
