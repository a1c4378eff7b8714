//! The audit log in the store: appended inside the transaction of the change it records, read
//! with filters, verified in pages so a long log never sits in memory.

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::{Store, StoreError, int, now, text};
use crate::audit::{AuditEntry, AuditRecord, Outcome, Verifier};

/// Entries read per page when verifying.
const PAGE: i64 = 1000;

/// Longest detail an entry keeps, in characters. The log is append-only and hashed as written,
/// so a caller that passes something unbounded (a listing, a third party's message) must not
/// be able to write an unbounded row: a longer detail is cut, with a marker saying so.
pub const MAX_DETAIL: usize = 2000;

/// Longest actor, action or target an entry keeps, in characters (names are far shorter; this
/// only bounds what a careless caller could pass).
const MAX_FIELD: usize = 512;

/// What ends a cut field.
const CUT: &str = " …[cut]";

/// `text` itself when it has at most `max` characters, else its first characters and [`CUT`],
/// `max` characters in all, cut on a character boundary.
fn capped(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let keep = max.saturating_sub(CUT.chars().count());
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            format!("{}{CUT}", &text[..end])
        }
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only targets containing this text.
    pub target: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Only entries after this sequence number.
    pub after: Option<u64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

fn entry(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let outcome = match text(row, "outcome")?.as_str() {
        "success" => Outcome::Success,
        "denied" => Outcome::Denied,
        "failed" => Outcome::Failed,
        other => {
            return Err(StoreError::Corrupt {
                what: "audit outcome",
                message: other.to_string(),
            });
        }
    };
    Ok(AuditEntry {
        seq: int(row, "seq")? as u64,
        record: AuditRecord {
            at: text(row, "at")?,
            actor: text(row, "actor")?,
            action: text(row, "action")?,
            target: text(row, "target")?,
            outcome,
            detail: text(row, "detail")?,
        },
        prev_hash: text(row, "prev_hash")?,
        hash: text(row, "hash")?,
    })
}

const COLUMNS: &str = "seq, at, actor, action, target, outcome, detail, prev_hash, hash";

/// Appends an entry for `actor` doing `action` on `target` inside `tx`. The time is the store's;
/// a detail longer than [`MAX_DETAIL`] characters is cut.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    actor: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    detail: &str,
) -> Result<AuditEntry, StoreError> {
    let last = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
    )))
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| entry(&r))
    .transpose()?;
    let record = AuditRecord {
        at: now(),
        actor: capped(actor, MAX_FIELD),
        action: capped(action, MAX_FIELD),
        target: capped(target, MAX_FIELD),
        outcome,
        detail: capped(detail, MAX_DETAIL),
    };
    let e = AuditEntry::next(last.as_ref(), record);
    // Two writers that read the same last entry collide on the primary key: one fails, and the
    // chain stays a chain.
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )))
    .bind(e.seq as i64)
    .bind(&e.record.at)
    .bind(&e.record.actor)
    .bind(&e.record.action)
    .bind(&e.record.target)
    .bind(e.record.outcome.name())
    .bind(&e.record.detail)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut **tx)
    .await?;
    Ok(e)
}

impl Store {
    /// Records an event that changes nothing else (a refusal, a read of data, a sign-in).
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        outcome: Outcome,
        detail: &str,
    ) -> Result<AuditEntry, StoreError> {
        let (mut tx, _turn) = self.begin_write().await?;
        let e = append(&mut tx, actor, action, target, outcome, detail).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// The one authorization every door calls: decides whether `who` may perform `action`
    /// (through [`crate::access::authorize`]) and audits a refusal under the action's own name,
    /// with the client it came from. `Err(StoreError::Denied)` is the refusal to answer.
    pub async fn authorize(
        &self,
        who: Option<&crate::access::Principal>,
        action: &crate::access::Action,
        target: &str,
        client: &str,
    ) -> Result<(), StoreError> {
        let Err(denied) = crate::access::authorize(who, action) else {
            return Ok(());
        };
        let actor = who.map_or("anonymous", |p| p.user.as_str());
        self.audit_refusal(actor, action.name(), target, &denied.to_string(), client)
            .await?;
        Err(StoreError::Denied(denied))
    }

    /// Audits a refused request from `client` (its address, "" when unknown): the first of a
    /// kind in a window is written, repeats are counted and written as one summary entry when
    /// the kind comes back after the window (see `refusals.rs`). Returns whether it was written.
    pub async fn audit_refusal(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
        client: &str,
    ) -> Result<bool, StoreError> {
        // Anyone can vary what an anonymous refusal names (a user name, an entry id, a target),
        // so those windows are per client and action: the first target is written, the rest
        // counted.
        let key: &[&str] = if actor == "anonymous" || action == "sign_in" {
            &[action, client]
        } else {
            &[actor, action, target, detail, client]
        };
        let verdict = self.refusals.note(key, std::time::Instant::now());
        let super::refusals::Verdict::Write { repeats } = verdict else {
            return Ok(false);
        };
        let (mut tx, _turn) = self.begin_write().await?;
        if repeats > 0 {
            let summary = format!(
                "{detail} (and {repeats} refusals like it in the {} s after the last one logged)",
                super::refusals::WINDOW.as_secs()
            );
            append(&mut tx, actor, action, target, Outcome::Denied, &summary).await?;
        }
        append(&mut tx, actor, action, target, Outcome::Denied, detail).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Entries matching `filter`, oldest first.
    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 1000));
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE seq > $1
               AND ($2 = '' OR actor = $2)
               AND ($3 = '' OR action = $3)
               AND ($4 = '' OR target LIKE $4 ESCAPE '\\')
               AND ($5 = '' OR outcome = $5)
             ORDER BY seq LIMIT $6"
        )))
        .bind(i64::try_from(filter.after.unwrap_or(0)).unwrap_or(i64::MAX))
        .bind(filter.actor.clone().unwrap_or_default())
        .bind(filter.action.clone().unwrap_or_default())
        .bind(
            filter
                .target
                .as_deref()
                .map(|t| format!("%{}%", escape_like(t)))
                .unwrap_or_default(),
        )
        .bind(filter.outcome.map(|o| o.name()).unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry).collect()
    }

    /// Checks the whole chain, a page at a time; returns the number of entries, or the first
    /// break.
    pub async fn verify_audit(&self) -> Result<u64, StoreError> {
        self.walk_audit(|_| {}).await
    }

    /// Checks the whole chain as [`Store::verify_audit`] does, showing `visit` each entry once it
    /// fits.
    pub(crate) async fn walk_audit(
        &self,
        mut visit: impl FnMut(&AuditEntry),
    ) -> Result<u64, StoreError> {
        let mut v = Verifier::default();
        loop {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            )))
            .bind(v.count() as i64)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(v.count());
            }
            for r in &rows {
                let e = entry(r)?;
                v.push(&e)?;
                visit(&e);
            }
        }
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_are_cut_on_a_character_boundary_with_a_marker() {
        assert_eq!(capped("short", 10), "short");
        assert_eq!(capped("exactly10!", 10), "exactly10!");
        let long = "身份证".repeat(1000);
        let cut = capped(&long, MAX_DETAIL);
        assert_eq!(cut.chars().count(), MAX_DETAIL);
        assert!(
            cut.ends_with(CUT) && cut.starts_with("身份证身份证"),
            "{cut}"
        );
        // Even a limit shorter than the marker gives no more than the limit.
        assert!(capped("abcdefghijkl", 3).chars().count() <= CUT.chars().count());
    }
}
