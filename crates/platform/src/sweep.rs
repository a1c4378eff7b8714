//! Removes parts that no version lists. An ingest that stops between uploading its part and
//! committing its version leaves such a part behind (a crash, a lost database connection); nothing
//! can read it, but it takes space and, for restricted data, is a copy nobody accounts for.
//!
//! A part younger than the grace period may belong to an ingest still under way, so it is kept.
//! The location is listed before the references are read: a part whose version commits in
//! between is then seen as referenced, never removed. Only objects shaped like parts
//! (`e-…/part-….parquet`) are considered, whatever else shares the location; and a store that
//! lists no version at all beside a location that holds parts is taken for the wrong store.
//!
//! The sweep also takes what a stopped process left in the local scratch folder (a spooled
//! upload, a part being written), under the same grace period: only files shaped like the
//! platform's own ([`crate::storage::is_scratch_leftover`]), last written before it.

use serde::Serialize;

use crate::audit::Outcome;
use crate::storage::{DatasetStorage, StorageError};
use crate::store::{Store, StoreError};

/// Why a sweep did not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The store lists no version while the location holds parts: probably not their store.
    #[error(
        "the metadata store lists no dataset version, yet the location holds {0} parts: is it the \
         store that goes with this location? (force the sweep to remove them all)"
    )]
    NoVersions(u64),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The location failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Whether `key` is shaped like a part the ingest writes: `e-<id>/part-<id>.parquet`.
pub fn is_part(key: &str) -> bool {
    let id = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    match key.split_once('/') {
        Some((entry, file)) => {
            entry.strip_prefix("e-").is_some_and(id)
                && file
                    .strip_prefix("part-")
                    .and_then(|f| f.strip_suffix(".parquet"))
                    .is_some_and(id)
        }
        None => false,
    }
}

/// What a sweep found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    /// Objects in the location.
    pub objects: u64,
    /// Objects not shaped like parts, left alone.
    pub foreign: u64,
    /// Parts some version lists.
    pub referenced: u64,
    /// Unlisted objects kept because they are younger than the grace period.
    pub recent: u64,
    /// Unlisted objects removed (or, in a dry run, that would be).
    pub removed: Vec<String>,
    /// Their total size in bytes.
    pub removed_bytes: u64,
    /// Scratch files of ours older than the grace period, removed (or, in a dry run, that would
    /// be), by name in the scratch folder.
    pub scratch_removed: Vec<String>,
    /// Their total size in bytes.
    pub scratch_bytes: u64,
    /// Scratch files of ours kept because they are younger than the grace period.
    pub scratch_recent: u64,
    /// Whether nothing was removed on purpose.
    pub dry_run: bool,
}

/// Sweeps `datasets` of parts no version in `store` lists and of scratch files, both older than
/// `grace`. A real sweep that removes anything is audited as done by `actor`. Without `force`, a
/// store that lists no version beside a location holding parts stops the sweep.
pub async fn sweep(
    store: &Store,
    datasets: &DatasetStorage,
    grace: chrono::Duration,
    dry_run: bool,
    force: bool,
    actor: &str,
) -> Result<SweepReport, SweepError> {
    let objects = datasets.list().await?;
    let referenced = store.referenced_parts().await?;
    // Listed before anything goes, so that a folder that cannot be read removes nothing.
    let scratch = datasets.scratch_files()?;
    let parts = objects.iter().filter(|o| is_part(&o.part)).count() as u64;
    if referenced.is_empty() && parts > 0 && !force {
        return Err(SweepError::NoVersions(parts));
    }
    let cutoff = chrono::Utc::now() - grace;
    let mut report = SweepReport {
        dry_run,
        ..SweepReport::default()
    };
    // A removal that fails stops the sweep, but what was removed before it is still audited.
    let mut failed = None;
    for o in objects {
        report.objects += 1;
        if !is_part(&o.part) {
            report.foreign += 1;
        } else if referenced.contains(&o.part) {
            report.referenced += 1;
        } else if o.modified > cutoff {
            report.recent += 1;
        } else if failed.is_none() {
            if !dry_run && let Err(e) = datasets.delete(&o.part).await {
                failed = Some(e);
                continue;
            }
            report.removed_bytes += o.size;
            report.removed.push(o.part);
        }
    }
    for f in scratch {
        if f.modified > cutoff {
            report.scratch_recent += 1;
        } else if failed.is_none() {
            if !dry_run && let Err(e) = datasets.remove_scratch(&f.name) {
                failed = Some(e);
                continue;
            }
            report.scratch_bytes += f.size;
            report.scratch_removed.push(f.name);
        }
    }
    if !dry_run && (!report.removed.is_empty() || !report.scratch_removed.is_empty()) {
        // Long lists are cut by the store: the counts and sizes first are what an auditor needs.
        let detail = format!(
            "{} unreferenced parts removed ({} bytes); {} scratch files removed ({} bytes): {}",
            report.removed.len(),
            report.removed_bytes,
            report.scratch_removed.len(),
            report.scratch_bytes,
            report
                .removed
                .iter()
                .chain(&report.scratch_removed)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
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
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::is_part;

    #[test]
    fn only_keys_shaped_like_parts_are_parts() {
        assert!(is_part(
            "e-jwcxdlpa2rucoraq2iss/part-5padiamr7o6pi6mj7txe.parquet"
        ));
        for other in [
            "metadata.db",
            "e-x/part-y.parquet.tmp",
            "e-x/notes.txt",
            "x-1/part-y.parquet",
            "e-x/sub/part-y.parquet",
            "e-X/part-y.parquet",
            "e-/part-.parquet",
            "incoming/abc.upload",
        ] {
            assert!(!is_part(other), "{other}");
        }
    }
}
