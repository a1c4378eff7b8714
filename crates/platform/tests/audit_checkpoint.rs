//! The audit chain's head anchored outside the audit table (a signed checkpoint file, and the
//! entry each dataset version records), on both back ends: deleting the newest entries, which
//! leaves a chain that still links, shows against either.

mod common;

use std::path::Path;

use common::{Backend, backends, entry, finish, water};
use pubdata_platform::audit::{
    Anchor, AnchorBreak, AuditEntry, AuditHead, CHECKPOINT_ACTION, Checkpoint, Outcome,
};
use pubdata_platform::store::{AuditFilter, CHECKPOINT_FILE, KEY_FILE, Store, StoreError};
use sqlx::AssertSqlSafe;

async fn all_entries(s: &Store) -> Vec<AuditEntry> {
    s.audit_entries(&AuditFilter {
        limit: Some(1000),
        ..Default::default()
    })
    .await
    .expect("entries")
}

async fn head(s: &Store) -> AuditHead {
    let last = all_entries(s).await.pop().expect("a log with entries");
    AuditHead {
        seq: last.seq,
        hash: last.hash,
    }
}

fn read_checkpoint(dir: &Path) -> Checkpoint {
    serde_json::from_str(&std::fs::read_to_string(dir.join(CHECKPOINT_FILE)).expect("file"))
        .expect("json")
}

/// Checkpoints now (unless the background task just did) and returns the checkpoint in `dir`.
async fn checkpoint_now(s: &Store, dir: &Path) -> Checkpoint {
    s.checkpoint_audit().await.expect("checkpoint");
    read_checkpoint(dir)
}

/// Runs `sql` on the database behind the store's back, as someone with access to it would.
async fn raw(b: &Backend, sql: &str) {
    let pool = sqlx::AnyPool::connect(&b.url)
        .await
        .expect("raw connection");
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(&pool)
        .await
        .expect("raw sql");
    pool.close().await;
}

/// A store that keeps its checkpoint in `dir`, with an organization and `n` catalog entries.
async fn checkpointed(b: &Backend, dir: &Path, n: usize) -> Store {
    let s = b
        .store
        .clone()
        .keep_audit_checkpoint(dir)
        .await
        .expect("keep a checkpoint");
    s.create_organization(&water(), "admin").await.expect("org");
    for i in 0..n {
        s.create_entry(&entry(&format!("条目{i}")), "admin")
            .await
            .expect("entry");
    }
    s
}

#[tokio::test]
async fn an_untouched_chain_verifies_against_its_checkpoint_and_versions() {
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = checkpointed(&b, dir.path(), 2).await;
        let e = s
            .create_entry(&entry("有版本的条目"), "admin")
            .await
            .expect("entry");
        for i in 0..2 {
            s.commit_version(
                &e.id,
                "append",
                &format!("{}/p{i}.parquet", e.id),
                3,
                "water",
                "u.csv",
                "{}",
            )
            .await
            .expect("version");
        }
        let log = all_entries(&s).await;
        assert_eq!(
            log[0].record.action, CHECKPOINT_ACTION,
            "{}: the log says from where a checkpoint is kept",
            b.name
        );
        // Each version records the entry that committed it.
        for v in s.versions(&e.id).await.expect("versions") {
            let recorded = v.audit_head.expect("recorded");
            let committed = &log[recorded.seq as usize - 1];
            assert_eq!(committed.hash, recorded.hash, "{}", b.name);
            assert_eq!(committed.record.action, "dataset.ingest");
            assert!(
                committed
                    .record
                    .detail
                    .starts_with(&format!("version {}", v.version))
            );
        }

        let cp = checkpoint_now(&s, dir.path()).await;
        assert_eq!(cp.head(), head(&s).await, "{}", b.name);
        assert_eq!(
            s.checkpoint_audit().await.expect("again"),
            None,
            "unmoved head"
        );
        let key = std::fs::read_to_string(dir.path().join(KEY_FILE)).expect("key");
        assert_eq!(key.trim().len(), 64, "256 bits as hex");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", b.name);
        }

        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert!(v.breaks.is_empty(), "{}: {:?}", b.name, v.breaks);
        assert!(v.warnings.is_empty(), "{}: {:?}", b.name, v.warnings);
        assert!(v.checkpoint_mac_valid);
        assert_eq!(v.checkpoint, Some(cp.clone()));
        assert_eq!((v.entries, v.versions_checked), (cp.seq, 2), "{}", b.name);

        // A second process keeping the same folder finds the key: no second key, no second start.
        let other = Store::open(&b.url)
            .await
            .expect("second store")
            .keep_audit_checkpoint(dir.path())
            .await
            .expect("same folder");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(KEY_FILE)).expect("key"),
            key
        );
        other
            .audit("water", "test.touch", "x", Outcome::Success, "")
            .await
            .expect("audit");
        let moved = checkpoint_now(&other, dir.path()).await;
        assert_eq!(moved.seq, cp.seq + 1, "{}", b.name);
        assert!(
            s.verify_audit_anchored(dir.path())
                .await
                .expect("verify")
                .breaks
                .is_empty()
        );
        other.close().await;
        s.close().await;
        finish(b).await;
    }
}

#[tokio::test]
async fn deleting_the_newest_entries_is_reported_with_the_missing_range() {
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = checkpointed(&b, dir.path(), 5).await;
        let cp = checkpoint_now(&s, dir.path()).await;
        let top = cp.seq;
        raw(
            &b,
            &format!("DELETE FROM audit_log WHERE seq > {}", top - 3),
        )
        .await;

        // What is left still links: the chain alone cannot tell.
        assert_eq!(
            s.verify_audit().await.expect("a shorter chain"),
            top - 3,
            "{}",
            b.name
        );
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert_eq!(
            v.breaks,
            vec![AnchorBreak::Truncated {
                first: top - 2,
                last: top,
                end: top - 3,
                anchor: Anchor::Checkpoint { at: cp.at.clone() },
            }],
            "{}",
            b.name
        );
        let message = v.breaks[0].to_string();
        assert!(
            message.starts_with(&format!("entries {} to {top} are missing", top - 2)),
            "{}: {message}",
            b.name
        );

        // The keeper does not move the checkpoint back over the cut: the file stays as evidence.
        let before = std::fs::read(dir.path().join(CHECKPOINT_FILE)).expect("file");
        match s.checkpoint_audit().await {
            Err(StoreError::Anchor(AnchorBreak::Truncated { last, .. })) => assert_eq!(last, top),
            other => panic!("{}: {other:?}", b.name),
        }
        // Nor once new entries have filled the seq numbers again: the entry there is another.
        for i in 0..4 {
            s.audit(
                "water",
                "test.after",
                &format!("t{i}"),
                Outcome::Success,
                "",
            )
            .await
            .expect("audit");
        }
        match s.checkpoint_audit().await {
            Err(StoreError::Anchor(AnchorBreak::Replaced { seq, .. })) => assert_eq!(seq, top),
            other => panic!("{}: {other:?}", b.name),
        }
        assert_eq!(
            std::fs::read(dir.path().join(CHECKPOINT_FILE)).expect("file"),
            before
        );
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert!(
            matches!(v.breaks[..], [AnchorBreak::Replaced { seq, .. }] if seq == top),
            "{}: {:?}",
            b.name,
            v.breaks
        );
        s.close().await;
        finish(b).await;
    }
}

#[tokio::test]
async fn a_tampered_checkpoint_fails_its_mac() {
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = checkpointed(&b, dir.path(), 4).await;
        let cp = checkpoint_now(&s, dir.path()).await;
        let log = all_entries(&s).await;
        let path = dir.path().join(CHECKPOINT_FILE);
        let original = std::fs::read_to_string(&path).expect("file");
        // Edited to name an earlier entry, seq and hash both true of the log, as someone who cut
        // the log would want it: only the MAC tells.
        let earlier = &log[log.len() - 3];
        for edited in [
            Checkpoint {
                seq: earlier.seq,
                ..cp.clone()
            },
            Checkpoint {
                hash: earlier.hash.clone(),
                ..cp.clone()
            },
            Checkpoint {
                seq: earlier.seq,
                hash: earlier.hash.clone(),
                ..cp.clone()
            },
        ] {
            std::fs::write(&path, serde_json::to_string(&edited).expect("json")).expect("edit");
            let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
            assert_eq!(
                v.breaks,
                vec![AnchorBreak::BadMac],
                "{}: {edited:?}",
                b.name
            );
            assert!(!v.checkpoint_mac_valid);
            // Nor does the keeper sign over it when the head moves on.
            s.audit("water", "test.touch", "x", Outcome::Success, "")
                .await
                .expect("audit");
            assert!(matches!(
                s.checkpoint_audit().await,
                Err(StoreError::Anchor(AnchorBreak::BadMac))
            ));
        }
        std::fs::write(&path, "{not json").expect("edit");
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert!(
            matches!(v.breaks[..], [AnchorBreak::Unreadable { .. }]),
            "{}: {:?}",
            b.name,
            v.breaks
        );

        std::fs::write(&path, &original).expect("restore");
        assert!(
            s.verify_audit_anchored(dir.path())
                .await
                .expect("verify")
                .breaks
                .is_empty()
        );
        // Without its key the checkpoint cannot be checked; without both, the log still says
        // that one was kept.
        std::fs::remove_file(dir.path().join(KEY_FILE)).expect("remove key");
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert_eq!(v.breaks, vec![AnchorBreak::KeyMissing], "{}", b.name);
        std::fs::remove_file(&path).expect("remove checkpoint");
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert_eq!(
            v.breaks,
            vec![AnchorBreak::Missing { since: Some(1) }],
            "{}",
            b.name
        );
        assert!(
            v.breaks[0].to_string().contains("since entry 1"),
            "{}",
            v.breaks[0]
        );
        s.close().await;
        finish(b).await;
    }
}

#[tokio::test]
async fn a_version_whose_entry_the_chain_lost_is_reported() {
    for b in backends().await {
        // No checkpoint kept here (a data folder from before them): the versions still tell.
        let dir = tempfile::tempdir().expect("tempdir");
        let s = &b.store;
        s.create_organization(&water(), "admin").await.expect("org");
        let e = s
            .create_entry(&entry("条目"), "admin")
            .await
            .expect("entry");
        s.commit_version(
            &e.id,
            "append",
            &format!("{}/p.parquet", e.id),
            3,
            "water",
            "u.csv",
            "{}",
        )
        .await
        .expect("version");
        let recorded = s.versions(&e.id).await.expect("versions")[0]
            .audit_head
            .clone()
            .expect("recorded");
        for i in 0..3 {
            s.audit(
                "water",
                "dataset.read",
                &format!("r{i}"),
                Outcome::Success,
                "",
            )
            .await
            .expect("audit");
        }
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert!(v.breaks.is_empty(), "{}: {:?}", b.name, v.breaks);
        assert_eq!(v.versions_checked, 1);
        assert!(
            v.warnings[0].starts_with("no audit checkpoint"),
            "{}: {:?}",
            b.name,
            v.warnings
        );

        raw(
            &b,
            &format!("DELETE FROM audit_log WHERE seq >= {}", recorded.seq),
        )
        .await;
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        let version = Anchor::Version {
            entry_id: e.id.clone(),
            version: 1,
        };
        assert_eq!(
            v.breaks,
            vec![AnchorBreak::Truncated {
                first: recorded.seq,
                last: recorded.seq,
                end: recorded.seq - 1,
                anchor: version.clone(),
            }],
            "{}",
            b.name
        );
        assert!(
            v.breaks[0]
                .to_string()
                .starts_with(&format!("entry {} is missing", recorded.seq)),
            "{}",
            v.breaks[0]
        );
        // Written again past that seq, the log has another entry where the version's was.
        for i in 0..2 {
            s.audit(
                "water",
                "dataset.read",
                &format!("again{i}"),
                Outcome::Success,
                "",
            )
            .await
            .expect("audit");
        }
        let v = s.verify_audit_anchored(dir.path()).await.expect("verify");
        assert_eq!(
            v.breaks,
            vec![AnchorBreak::Replaced {
                seq: recorded.seq,
                anchor: version,
            }],
            "{}",
            b.name
        );
        finish(b).await;
    }
}

#[tokio::test]
async fn the_head_is_checkpointed_within_the_interval_and_on_close() {
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = checkpointed(&b, dir.path(), 3).await;
        let h = head(&s).await;
        let deadline = std::time::Instant::now()
            + pubdata_platform::store::CHECKPOINT_INTERVAL
            + std::time::Duration::from_secs(5);
        // Nobody asks: the background task writes it.
        loop {
            if dir.path().join(CHECKPOINT_FILE).exists() && read_checkpoint(dir.path()).head() == h
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: no checkpoint",
                b.name
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        s.audit("water", "test.last", "x", Outcome::Success, "")
            .await
            .expect("audit");
        let last = head(&s).await;
        s.close().await;
        assert_eq!(
            read_checkpoint(dir.path()).head(),
            last,
            "{}: written on close",
            b.name
        );
        finish(b).await;
    }
}
