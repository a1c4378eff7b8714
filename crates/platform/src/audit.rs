//! The audit log as a hash chain: every entry carries the SHA-256 of the one before it, so an
//! entry changed, removed or reordered after the fact breaks the chain at that point.
//!
//! The hash covers the sequence number, the previous hash and every field, each length-prefixed
//! so that no two different entries serialize alike (`"ab","c"` is not `"a","bc"`).
//!
//! A chain alone cannot show that its newest entries were deleted: what is left still links. So
//! its head is also recorded outside it ([`Checkpoint`], signed; and on every dataset version),
//! and [`check_anchor`] compares the log with such a record.

use data_encoding::HEXLOWER;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The previous hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It was allowed and done.
    Success,
    /// It was refused: not authorized.
    Denied,
    /// It was allowed but failed (bad input, conflict...).
    Failed,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 3] = [Outcome::Success, Outcome::Denied, Outcome::Failed];

    /// The snake_case name used in the database.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// What happened: who did what to which target, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// When, as RFC 3339 in UTC (the store's clock, not the client's).
    pub at: String,
    /// Who: a user name, or `system`.
    pub actor: String,
    /// What: a verb such as `catalog.create` or `dataset.read`.
    pub action: String,
    /// The object acted on, such as `catalog/17`.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Anything else worth keeping (a reason, a row count); may be empty.
    #[serde(default)]
    pub detail: String,
}

/// A record in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The record.
    #[serde(flatten)]
    pub record: AuditRecord,
    /// The hash of the entry before (or [`GENESIS`]), lower-case hex.
    pub prev_hash: String,
    /// This entry's hash, lower-case hex.
    pub hash: String,
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("audit log broken at entry {seq}: {reason}")]
pub struct ChainBreak {
    /// The first entry that does not fit (its own seq, or the seq expected there).
    pub seq: u64,
    /// What does not fit.
    pub reason: BreakReason,
}

/// What does not fit at a break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// Entries are missing or out of order.
    #[error("expected entry {expected}, found entry {found}")]
    Sequence {
        /// The seq that should come here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// The entry does not point at the hash of the one before it.
    #[error("it does not carry the previous entry's hash")]
    PreviousHash,
    /// The entry's content does not match its hash: it was changed after it was written.
    #[error("its content does not match its hash")]
    Content,
}

impl AuditEntry {
    /// The entry that follows `previous` (or starts the log) with `record`.
    pub fn next(previous: Option<&AuditEntry>, record: AuditRecord) -> AuditEntry {
        let (seq, prev_hash) = match previous {
            Some(p) => (p.seq + 1, p.hash.clone()),
            None => (1, GENESIS.to_string()),
        };
        let hash = digest(seq, &prev_hash, &record);
        AuditEntry {
            seq,
            record,
            prev_hash,
            hash,
        }
    }

    /// Whether the stored hash is the hash of the content.
    pub fn content_matches(&self) -> bool {
        digest(self.seq, &self.prev_hash, &self.record) == self.hash
    }
}

fn digest(seq: u64, prev_hash: &str, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    h.update(seq.to_le_bytes());
    let outcome = r.outcome.name();
    for field in [
        prev_hash, &r.at, &r.actor, &r.action, &r.target, outcome, &r.detail,
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    HEXLOWER.encode(&h.finalize())
}

/// Checks a whole log in order; returns the number of entries, or the first break.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a AuditEntry>) -> Result<u64, ChainBreak> {
    let mut v = Verifier::default();
    for e in entries {
        v.push(e)?;
    }
    Ok(v.count())
}

/// Checks a log one entry at a time, so that a log of any length can be streamed through it.
#[derive(Debug, Clone)]
pub struct Verifier {
    expected_seq: u64,
    expected_prev: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            expected_prev: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    /// Checks the next entry against the one before it.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak {
                seq: self.expected_seq,
                reason: BreakReason::Sequence {
                    expected: self.expected_seq,
                    found: e.seq,
                },
            });
        }
        if e.prev_hash != self.expected_prev {
            return Err(ChainBreak {
                seq: e.seq,
                reason: BreakReason::PreviousHash,
            });
        }
        if !e.content_matches() {
            return Err(ChainBreak {
                seq: e.seq,
                reason: BreakReason::Content,
            });
        }
        self.expected_prev.clone_from(&e.hash);
        self.expected_seq += 1;
        Ok(())
    }

    /// Entries checked so far.
    pub fn count(&self) -> u64 {
        self.expected_seq - 1
    }
}

/// The action of the entry written when a log starts being checkpointed outside its table: from
/// that entry on, a missing checkpoint is a break, not an older data folder.
pub const CHECKPOINT_ACTION: &str = "audit.checkpoint";

/// Where a log ends: its last entry's sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditHead {
    /// The last entry's seq.
    pub seq: u64,
    /// Its hash, lower-case hex.
    pub hash: String,
}

/// A log's head recorded outside the log, signed with a key the database does not hold: deleting
/// the newest entries leaves a shorter chain that verifies on its own, but not against this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The head's seq.
    pub seq: u64,
    /// The head's hash.
    pub hash: String,
    /// When the checkpoint was taken, as RFC 3339 in UTC.
    pub at: String,
    /// HMAC-SHA-256 of the fields above, lower-case hex.
    pub mac: String,
}

/// Separates checkpoint MACs from any other use of the key, and this layout from later ones.
const CHECKPOINT_DOMAIN: &[u8] = b"pubdata audit checkpoint v1";

fn checkpoint_mac(key: &[u8], seq: u64, hash: &str, at: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(CHECKPOINT_DOMAIN);
    m.update(&seq.to_le_bytes());
    for field in [hash, at] {
        m.update(&(field.len() as u64).to_le_bytes());
        m.update(field.as_bytes());
    }
    m
}

impl Checkpoint {
    /// A checkpoint of `head` taken at `at`, signed with `key`.
    pub fn sign(head: &AuditHead, at: String, key: &[u8]) -> Checkpoint {
        let mac = checkpoint_mac(key, head.seq, &head.hash, &at)
            .finalize()
            .into_bytes();
        Checkpoint {
            seq: head.seq,
            hash: head.hash.clone(),
            at,
            mac: HEXLOWER.encode(&mac),
        }
    }

    /// Whether the MAC is that of the fields under `key` (compared in constant time).
    pub fn mac_matches(&self, key: &[u8]) -> bool {
        let Ok(tag) = HEXLOWER.decode(self.mac.as_bytes()) else {
            return false;
        };
        checkpoint_mac(key, self.seq, &self.hash, &self.at)
            .verify_slice(&tag)
            .is_ok()
    }

    /// The head it records.
    pub fn head(&self) -> AuditHead {
        AuditHead {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// A record of a log's head kept outside the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Anchor {
    /// The signed checkpoint file.
    Checkpoint {
        /// When it was taken.
        at: String,
    },
    /// A dataset version, which records the entry that committed it.
    Version {
        /// The catalog entry.
        entry_id: String,
        /// The version.
        version: i64,
    },
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Anchor::Checkpoint { at } => write!(f, "the checkpoint of {at}"),
            Anchor::Version { entry_id, version } => {
                write!(f, "version {version} of entry {entry_id}")
            }
        }
    }
}

/// How a log disagrees with a record of its head kept outside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnchorBreak {
    /// The log ends before the anchored entry: its newest entries were deleted.
    #[error("{} missing from the end of the log: {anchor} records entry {last}, the log ends at entry {end}", missing(*.first, *.last))]
    Truncated {
        /// The first missing seq.
        first: u64,
        /// The last one known to be missing (entries after it may have existed too).
        last: u64,
        /// The log's last seq.
        end: u64,
        /// What records the missing head.
        anchor: Anchor,
    },
    /// The log has an entry at the anchored seq, but not the anchored one: it was cut at or
    /// before that entry and written again.
    #[error(
        "entry {seq} is not the one {anchor} records: the log was cut at or before entry {seq} and written again"
    )]
    Replaced {
        /// The anchored seq.
        seq: u64,
        /// What records the original entry.
        anchor: Anchor,
    },
    /// The checkpoint's MAC does not verify: its fields were edited, or it was signed with
    /// another key.
    #[error("the checkpoint's MAC does not verify: it was edited, or signed with another key")]
    BadMac,
    /// There is a checkpoint but not the key to check it.
    #[error("the checkpoint's key is missing, so the checkpoint cannot be checked")]
    KeyMissing,
    /// There is no checkpoint although one has been kept.
    #[error("no checkpoint, though {}: it was removed, or this is not the data folder that keeps it", kept_since(*.since))]
    Missing {
        /// The entry that started checkpointing, when the log still has it (otherwise the
        /// key's presence says one was kept).
        since: Option<u64>,
    },
    /// The checkpoint or its key is not readable.
    #[error("the checkpoint is not readable: {message}")]
    Unreadable {
        /// Why.
        message: String,
    },
}

fn missing(first: u64, last: u64) -> String {
    if first == last {
        format!("entry {first} is")
    } else {
        format!("entries {first} to {last} are")
    }
}

fn kept_since(since: Option<u64>) -> String {
    match since {
        Some(seq) => format!("the log has kept one since entry {seq}"),
        None => "its key is there".to_string(),
    }
}

impl AnchorBreak {
    /// The last seq known to be missing, for a truncation (to list the widest one first).
    pub fn missing_up_to(&self) -> Option<u64> {
        match self {
            AnchorBreak::Truncated { last, .. } => Some(*last),
            _ => None,
        }
    }
}

/// Checks a log against a head recorded outside it: `end` is the log's last seq (0 when empty)
/// and `found` the hash of its entry at `anchored.seq`, if it has one.
pub fn check_anchor(
    anchored: &AuditHead,
    anchor: Anchor,
    end: u64,
    found: Option<&str>,
) -> Result<(), AnchorBreak> {
    if end < anchored.seq {
        return Err(AnchorBreak::Truncated {
            first: end + 1,
            last: anchored.seq,
            end,
            anchor,
        });
    }
    if found != Some(anchored.hash.as_str()) {
        return Err(AnchorBreak::Replaced {
            seq: anchored.seq,
            anchor,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn record(i: usize, actor: &str, action: &str) -> AuditRecord {
        AuditRecord {
            at: format!("2026-11-27T10:{:02}:00Z", i % 60),
            actor: actor.into(),
            action: action.into(),
            target: format!("catalog/{i}"),
            outcome: if i.is_multiple_of(3) {
                Outcome::Denied
            } else {
                Outcome::Success
            },
            detail: String::new(),
        }
    }

    fn chain(records: Vec<AuditRecord>) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for r in records {
            let e = AuditEntry::next(out.last(), r);
            out.push(e);
        }
        out
    }

    #[test]
    fn an_untouched_log_verifies() {
        let log = chain(
            (0..5)
                .map(|i| record(i, "alice", "catalog.create"))
                .collect(),
        );
        assert_eq!(verify(&log), Ok(5));
        assert_eq!(log[0].prev_hash, GENESIS);
        assert_eq!(log[1].prev_hash, log[0].hash);
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn field_boundaries_are_part_of_the_hash() {
        let a = AuditEntry::next(None, record(1, "ab", "c"));
        let b = AuditEntry::next(None, record(1, "a", "bc"));
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn a_removed_entry_breaks_the_chain_where_it_was() {
        let mut log = chain((0..5).map(|i| record(i, "alice", "dataset.read")).collect());
        log.remove(2);
        let err = verify(&log).expect_err("gap");
        assert_eq!(err.seq, 3);
        assert!(matches!(
            err.reason,
            BreakReason::Sequence {
                expected: 3,
                found: 4
            }
        ));
    }

    #[test]
    fn rewriting_the_tail_with_fresh_hashes_still_breaks_at_the_first_rewritten_entry() {
        let mut log = chain((0..5).map(|i| record(i, "alice", "dataset.read")).collect());
        // An attacker edits entry 3 and recomputes its own hash: entry 4 no longer points at it.
        log[2].record.actor = "mallory".into();
        log[2].hash = digest(log[2].seq, &log[2].prev_hash, &log[2].record);
        let err = verify(&log).expect_err("relinked");
        assert_eq!((err.seq, err.reason), (4, BreakReason::PreviousHash));
    }

    #[test]
    fn a_checkpoint_verifies_under_its_key_only_and_not_once_edited() {
        let key = [7u8; 32];
        let log = chain(
            (0..3)
                .map(|i| record(i, "alice", "catalog.create"))
                .collect(),
        );
        let head = AuditHead {
            seq: 3,
            hash: log[2].hash.clone(),
        };
        let cp = Checkpoint::sign(&head, "2026-11-27T10:00:00.000Z".into(), &key);
        assert!(cp.mac_matches(&key));
        assert_eq!(cp.head(), head);
        assert!(!cp.mac_matches(&[8u8; 32]), "another key");
        let edits: [fn(&mut Checkpoint); 4] = [
            |c| c.seq = 2,
            |c| c.hash = GENESIS.into(),
            |c| c.at = "2026-11-28T10:00:00.000Z".into(),
            |c| c.mac = "zz".into(),
        ];
        for edit in edits {
            let mut edited = cp.clone();
            edit(&mut edited);
            assert!(!edited.mac_matches(&key), "{edited:?}");
        }
    }

    #[test]
    fn an_anchor_past_the_end_names_the_missing_range() {
        let head = AuditHead {
            seq: 10,
            hash: "ab".into(),
        };
        let at = || Anchor::Checkpoint { at: "then".into() };
        let cut = check_anchor(&head, at(), 7, None).expect_err("truncated");
        assert_eq!(cut.missing_up_to(), Some(10));
        assert_eq!(
            cut.to_string(),
            "entries 8 to 10 are missing from the end of the log: the checkpoint of then \
             records entry 10, the log ends at entry 7"
        );
        let one = check_anchor(&head, at(), 9, None).expect_err("one missing");
        assert!(one.to_string().starts_with("entry 10 is missing"), "{one}");
        let replaced = check_anchor(&head, at(), 12, Some("cd")).expect_err("rewritten");
        assert!(matches!(replaced, AnchorBreak::Replaced { seq: 10, .. }));
        assert_eq!(check_anchor(&head, at(), 12, Some("ab")), Ok(()));
        assert_eq!(check_anchor(&head, at(), 10, Some("ab")), Ok(()));
    }

    proptest! {
        /// Any change to any field of any entry is caught, and the break names that entry.
        #[test]
        fn tampering_is_found_at_the_tampered_entry(
            n in 1usize..12,
            victim in 0usize..12,
            field in 0usize..7,
            junk in "[a-z0-9]{1,8}",
        ) {
            let mut log = chain((0..n).map(|i| record(i, "alice", "catalog.update")).collect());
            let victim = victim % n;
            let e = &mut log[victim];
            match field {
                0 => e.record.at.push_str(&junk),
                1 => e.record.actor.push_str(&junk),
                2 => e.record.action.push_str(&junk),
                3 => e.record.target.push_str(&junk),
                4 => {
                    e.record.outcome = match e.record.outcome {
                        Outcome::Failed => Outcome::Success,
                        _ => Outcome::Failed,
                    }
                }
                5 => e.record.detail.push_str(&junk),
                _ => e.hash.push_str(&junk),
            }
            let err = verify(&log).expect_err("tampered");
            prop_assert_eq!(err.seq, victim as u64 + 1);
        }
    }
}
