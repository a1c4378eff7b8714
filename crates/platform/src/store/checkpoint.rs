//! The audit chain's head anchored outside the audit table. A chain shows an entry changed or
//! removed in its middle, but deleting its newest entries leaves a shorter chain that still links;
//! so the head is also kept in a checkpoint file in the data folder, signed with HMAC-SHA-256
//! under a key kept beside it (never in the database), and `audit verify` compares the two.
//!
//! When the checkpoint moves: every [`CHECKPOINT_INTERVAL`] while the head moves (a background
//! task), when asked ([`Store::checkpoint_audit`], which the command line calls before it exits)
//! and on [`Store::close`]. Not on every append: that would put a file write and two fsyncs into
//! every audited request, behind the writers' turn, where a timer costs at most one write per
//! interval however busy the server is, and bounds the window in time on a quiet server too (a
//! count of entries would leave a quiet server's last entries unanchored for hours). The price is
//! that window: entries appended less than one interval before someone deletes them are not yet
//! anchored, and their deletion does not show. A crash only delays the checkpoint (the entries are
//! still in the table). Each dataset version records its own entry at once, in its row.
//!
//! A checkpoint only moves forward along the chain: before writing, the keeper checks that the
//! chain still holds the checkpointed entry, and when it does not, leaves the file as it is, as
//! the evidence `audit verify` reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use data_encoding::HEXLOWER;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};

use super::{Store, StoreError, int, now, text};
use crate::audit::{
    Anchor, AnchorBreak, AuditHead, CHECKPOINT_ACTION, Checkpoint, Outcome, check_anchor,
};

/// The checkpoint file's name in the data folder.
pub const CHECKPOINT_FILE: &str = "audit-checkpoint.json";

/// The checkpoint key's name in the data folder (256 bits as hex, readable by its owner only).
pub const KEY_FILE: &str = "audit-checkpoint.key";

/// How often the background task checkpoints the head, when it has moved.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);

const KEY_LEN: usize = 32;

/// Keeps the checkpoint of one store in one folder.
pub(crate) struct Keeper {
    dir: PathBuf,
    key: [u8; KEY_LEN],
    /// The head this process last checkpointed or found checkpointed: an unmoved head costs
    /// neither a lock nor a write.
    last: std::sync::Mutex<Option<AuditHead>>,
    /// Stops the background task (it holds this and only a weak reference to the keeper).
    stop: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Keeper").field("dir", &self.dir).finish()
    }
}

/// What [`Store::verify_audit_anchored`] found.
#[derive(Debug, Clone, Serialize)]
pub struct AnchoredVerification {
    /// Entries in the chain, each linked to the one before.
    pub entries: u64,
    /// The chain's last entry (none when the log is empty).
    pub head: Option<AuditHead>,
    /// The checkpoint file's content, when there is one.
    pub checkpoint: Option<Checkpoint>,
    /// Whether its MAC verifies under the key.
    pub checkpoint_mac_valid: bool,
    /// Dataset versions whose recorded entry was looked up.
    pub versions_checked: u64,
    /// Every disagreement with a record of the head, the widest truncation first; empty when
    /// the log holds every entry recorded outside it.
    pub breaks: Vec<AnchorBreak>,
    /// What could not be checked, not itself a break (a data folder from before checkpoints).
    pub warnings: Vec<String>,
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::CheckpointIo {
        path: path.to_path_buf(),
        source,
    }
}

/// A name beside `name` in `dir` that no other writer uses.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    let mut tag = [0u8; 8];
    super::random(&mut tag);
    dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        HEXLOWER.encode(&tag)
    ))
}

/// Creates `path` (which must not exist) readable by its owner only, writes `bytes` and syncs.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| io_error(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error(path, e))
}

/// Makes a rename or link in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `r`, with a checkpoint that cannot be read listed as a break rather than failing.
fn listed<T>(
    r: Result<Option<T>, StoreError>,
    breaks: &mut Vec<AnchorBreak>,
) -> Result<Option<T>, StoreError> {
    match r {
        Err(StoreError::Anchor(b)) => {
            breaks.push(b);
            Ok(None)
        }
        other => other,
    }
}

/// The key in `dir`, if there is one.
fn read_key(dir: &Path) -> Result<Option<[u8; KEY_LEN]>, StoreError> {
    let path = dir.join(KEY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, e)),
    };
    HEXLOWER
        .decode(text.trim().as_bytes())
        .ok()
        .and_then(|b| <[u8; KEY_LEN]>::try_from(b).ok())
        .map(Some)
        .ok_or_else(|| {
            AnchorBreak::Unreadable {
                message: format!("its key {KEY_FILE} is not 64 hexadecimal digits"),
            }
            .into()
        })
}

/// The key in `dir`, created (256 random bits, owner-only) when there is none; says whether it
/// was created.
fn load_or_create_key(dir: &Path) -> Result<([u8; KEY_LEN], bool), StoreError> {
    if let Some(key) = read_key(dir)? {
        return Ok((key, false));
    }
    let mut key = [0u8; KEY_LEN];
    super::random(&mut key);
    // Written under a temporary name, then linked to the real one: nobody ever reads a half
    // written key, and of two processes creating it at once one links and the other reads it.
    let path = dir.join(KEY_FILE);
    let tmp = temp_path(dir, KEY_FILE);
    write_new(&tmp, format!("{}\n", HEXLOWER.encode(&key)).as_bytes())?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(dir)?;
            Ok((key, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_key(dir)? {
            Some(key) => Ok((key, false)),
            None => Err(io_error(&path, e)),
        },
        Err(e) => Err(io_error(&path, e)),
    }
}

/// The checkpoint in `dir`, if there is one.
fn read_checkpoint(dir: &Path) -> Result<Option<Checkpoint>, StoreError> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        AnchorBreak::Unreadable {
            message: format!("{CHECKPOINT_FILE}: {e}"),
        }
        .into()
    })
}

/// Replaces the checkpoint in `dir` atomically: a reader sees the old one or the new one, and
/// after a crash there is one or the other.
fn write_checkpoint(dir: &Path, cp: &Checkpoint) -> Result<(), StoreError> {
    let path = dir.join(CHECKPOINT_FILE);
    let mut json = serde_json::to_vec_pretty(cp).map_err(|e| StoreError::Invalid(e.to_string()))?;
    json.push(b'\n');
    let tmp = temp_path(dir, CHECKPOINT_FILE);
    write_new(&tmp, &json)?;
    if let Err(e) = std::fs::rename(&tmp, &path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(&path, e));
    }
    sync_dir(dir)
}

/// Names a key without revealing it, in the audit entry that starts checkpointing.
fn key_id(key: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(key)[..8])
}

/// The log's last entry.
async fn head(
    conn: impl sqlx::Executor<'_, Database = Any>,
) -> Result<Option<AuditHead>, StoreError> {
    sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?
        .map(|r| {
            Ok(AuditHead {
                seq: int(&r, "seq")? as u64,
                hash: text(&r, "hash")?,
            })
        })
        .transpose()
}

/// The hash of the entry at `seq`, if the log has it.
async fn hash_at(
    tx: &mut Transaction<'static, Any>,
    seq: u64,
) -> Result<Option<String>, StoreError> {
    let Ok(seq) = i64::try_from(seq) else {
        return Ok(None);
    };
    sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| text(&r, "hash"))
        .transpose()
}

/// Checkpoints the head if it moved and the chain still holds the last checkpoint; returns the
/// new checkpoint, or none when there was nothing to record.
async fn checkpoint(store: &Store, keeper: &Keeper) -> Result<Option<Checkpoint>, StoreError> {
    let last = || {
        keeper
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    };
    let unlocked = head(&store.pool).await?;
    if unlocked.is_some() && unlocked == last() {
        return Ok(None);
    }
    // In the writers' turn (across processes on PostgreSQL; SQLite's write lock across
    // processes): two keepers of one folder, a server and `pubdata ingest`, then read the file
    // and replace it one after the other, so the checkpoint never moves back.
    let (mut tx, _turn) = store.begin_write().await?;
    let head = head(&mut *tx).await?;
    let dir = keeper.dir.clone();
    let current = read_checkpoint(&dir)?;
    if let Some(cp) = &current {
        if !cp.mac_matches(&keeper.key) {
            return Err(AnchorBreak::BadMac.into());
        }
        let found = hash_at(&mut tx, cp.seq).await?;
        let end = head.as_ref().map_or(0, |h| h.seq);
        check_anchor(
            &cp.head(),
            Anchor::Checkpoint { at: cp.at.clone() },
            end,
            found.as_deref(),
        )?;
    }
    let Some(head) = head else {
        return Ok(None);
    };
    let written = if current.as_ref().is_some_and(|cp| cp.seq == head.seq) {
        // Another keeper of this folder got there first (check_anchor compared the hash).
        None
    } else {
        let cp = Checkpoint::sign(&head, now(), &keeper.key);
        let new = cp.clone();
        tokio::task::spawn_blocking(move || write_checkpoint(&dir, &new))
            .await
            .map_err(|e| StoreError::Invalid(format!("writing the audit checkpoint: {e}")))??;
        Some(cp)
    };
    *keeper.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(head);
    // The transaction only read: dropping it rolls back, then the turn is released.
    drop(tx);
    Ok(written)
}

/// The background task: a checkpoint each interval, until stopped or the store is gone.
async fn keep(store: Store, keeper: Weak<Keeper>, stop: Arc<tokio::sync::Notify>) {
    let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.notified() => return,
        }
        let Some(keeper) = keeper.upgrade() else {
            return;
        };
        if store.pool.is_closed() {
            return;
        }
        // Nobody to tell here: a break is left in the file for `audit verify`, and a failure to
        // write shows at the next checkpoint someone asks for (`checkpoint_audit`, `close`).
        let _ = checkpoint(&store, &keeper).await;
    }
}

impl Store {
    /// Anchors the audit chain's head in the folder `dir` (see the module): loads the key, or
    /// creates it and audits that checkpointing starts, then checkpoints every
    /// [`CHECKPOINT_INTERVAL`] while the head moves, and on [`Store::close`].
    pub async fn keep_audit_checkpoint(mut self, dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let (key, created) = load_or_create_key(dir)?;
        if created {
            // In the chain, so that deleting the checkpoint (and its key) later is a break, not
            // an older data folder that never had one.
            self.audit(
                "system",
                CHECKPOINT_ACTION,
                "audit-checkpoint",
                Outcome::Success,
                &format!(
                    "the head of this log is checkpointed outside the database from here on (key {})",
                    key_id(&key)
                ),
            )
            .await?;
        }
        let stop = Arc::new(tokio::sync::Notify::new());
        let keeper = Arc::new(Keeper {
            dir: dir.to_path_buf(),
            key,
            last: std::sync::Mutex::new(None),
            stop: stop.clone(),
        });
        // The task's store has no keeper of its own, so the keeper goes when the last store
        // that has it does, and the task with it.
        let background = Store {
            checkpoint: None,
            ..self.clone()
        };
        tokio::spawn(keep(background, Arc::downgrade(&keeper), stop));
        self.checkpoint = Some(keeper);
        Ok(self)
    }

    /// Checkpoints the audit chain's head now, if it moved; returns the checkpoint written. Fails
    /// with [`StoreError::Anchor`] when the chain no longer holds the last checkpoint (the file
    /// is then left as it is). Does nothing on a store that keeps no checkpoint.
    pub async fn checkpoint_audit(&self) -> Result<Option<Checkpoint>, StoreError> {
        match &self.checkpoint {
            Some(keeper) => checkpoint(self, keeper).await,
            None => Ok(None),
        }
    }

    /// Stops checkpointing, with one last checkpoint (whose failure nobody hears: call
    /// [`Store::checkpoint_audit`] first to know).
    pub(crate) async fn stop_checkpoints(&self) {
        if let Some(keeper) = &self.checkpoint {
            keeper.stop.notify_one();
            let _ = checkpoint(self, keeper).await;
        }
    }

    /// Checks the audit chain (as [`Store::verify_audit`]) and then its head against what records
    /// it outside the table: the checkpoint in `dir` (MAC, seq, hash) and the entry each dataset
    /// version recorded. A chain break is an error; a missing or disagreeing record is listed in
    /// `breaks`. A missing checkpoint is a break once the log says one was kept (or its key is
    /// there); otherwise, on a log with entries, a warning (a data folder from before
    /// checkpoints).
    pub async fn verify_audit_anchored(
        &self,
        dir: &Path,
    ) -> Result<AnchoredVerification, StoreError> {
        let mut breaks = Vec::new();
        let mut warnings = Vec::new();
        // Read before the chain: a server beside may move the checkpoint on meanwhile, and one
        // read first can only be behind the chain read after it.
        let checkpoint_file = dir.join(CHECKPOINT_FILE).exists();
        let checkpoint = listed(read_checkpoint(dir), &mut breaks)?;
        let key_file = dir.join(KEY_FILE).exists();
        let key = listed(read_key(dir), &mut breaks)?;
        let mut head = None;
        let mut since = None;
        let mut found = None;
        let entries = self
            .walk_audit(|e| {
                if since.is_none() && e.record.action == CHECKPOINT_ACTION {
                    since = Some(e.seq);
                }
                if checkpoint.as_ref().is_some_and(|cp| cp.seq == e.seq) {
                    found = Some(e.hash.clone());
                }
                head = Some(AuditHead {
                    seq: e.seq,
                    hash: e.hash.clone(),
                });
            })
            .await?;
        let end = head.as_ref().map_or(0, |h| h.seq);
        let mut mac_valid = false;
        if let Some(cp) = &checkpoint {
            match &key {
                Some(key) => {
                    mac_valid = cp.mac_matches(key);
                    if !mac_valid {
                        breaks.push(AnchorBreak::BadMac);
                    } else if let Err(b) = check_anchor(
                        &cp.head(),
                        Anchor::Checkpoint { at: cp.at.clone() },
                        end,
                        found.as_deref(),
                    ) {
                        breaks.push(b);
                    }
                }
                None if !key_file => breaks.push(AnchorBreak::KeyMissing),
                // An unreadable key is listed already.
                None => {}
            }
        } else if !checkpoint_file {
            if since.is_some() || key_file {
                breaks.push(AnchorBreak::Missing { since });
            } else if entries > 0 {
                warnings.push(
                    "no audit checkpoint: deleting the newest entries would not show (a data \
                     folder from before checkpoints; the next `serve`, `ingest` or `admin` run \
                     starts one)"
                        .to_string(),
                );
            }
        }
        let (versions_checked, version_breaks) = self.version_anchors().await?;
        breaks.extend(version_breaks);
        // The widest truncation first: it names the most that is missing.
        breaks.sort_by_key(|b| std::cmp::Reverse(b.missing_up_to()));
        Ok(AnchoredVerification {
            entries,
            head,
            checkpoint,
            checkpoint_mac_valid: mac_valid,
            versions_checked,
            breaks,
            warnings,
        })
    }

    /// The dataset versions that recorded their entry, and those whose entry the log no longer
    /// holds.
    async fn version_anchors(&self) -> Result<(u64, Vec<AnchorBreak>), StoreError> {
        let n = sqlx::query("SELECT COUNT(*) AS n FROM dataset_versions WHERE audit_seq > 0")
            .fetch_one(&self.pool)
            .await?;
        // One statement, so the log's end and the lookups are of one moment (a version committed
        // meanwhile has its entry in the same commit).
        let rows = sqlx::query(
            "SELECT v.entry_id, v.version, v.audit_seq, v.audit_hash, a.hash AS found,
                    (SELECT COALESCE(MAX(seq), 0) FROM audit_log) AS end_seq
             FROM dataset_versions v LEFT JOIN audit_log a ON a.seq = v.audit_seq
             WHERE v.audit_seq > 0 AND (a.hash IS NULL OR a.hash <> v.audit_hash)
             ORDER BY v.audit_seq DESC, v.entry_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut breaks = Vec::with_capacity(rows.len());
        for r in &rows {
            let recorded = AuditHead {
                seq: int(r, "audit_seq")? as u64,
                hash: text(r, "audit_hash")?,
            };
            let found: Option<String> = sqlx::Row::try_get(r, "found")?;
            let anchor = Anchor::Version {
                entry_id: text(r, "entry_id")?,
                version: int(r, "version")?,
            };
            if let Err(b) = check_anchor(
                &recorded,
                anchor,
                int(r, "end_seq")? as u64,
                found.as_deref(),
            ) {
                breaks.push(b);
            }
        }
        Ok((int(&n, "n")? as u64, breaks))
    }
}
