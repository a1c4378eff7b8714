//! Catalog entries in the store: created and edited only when they pass the catalog rules,
//! searched by substring over title, description and items (so Chinese text needs no word
//! segmentation), with every parameter bound, never spliced into SQL.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::audit_log::{append, escape_like};
use super::{Store, StoreError, int, new_id, now, text};
use crate::audit::Outcome;
use crate::catalog::CatalogEntry;

/// A stored entry with its id and revision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredEntry {
    /// Id, `e-` and 20 characters.
    pub id: String,
    /// Incremented on every edit; an edit names the revision it was made from.
    pub revision: i64,
    /// When created.
    pub created_at: String,
    /// When last changed.
    pub updated_at: String,
    /// The entry.
    #[serde(flatten)]
    pub entry: CatalogEntry,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    /// Words that must all appear in the title, description, item names or labels.
    pub text: Option<String>,
    /// Only entries held by this organization.
    pub owner: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u32>,
}

/// Longest search text accepted, in characters.
pub const MAX_QUERY: usize = 200;

fn search_text(e: &CatalogEntry) -> String {
    let mut s = format!("{}\n{}", e.title, e.description);
    for i in &e.items {
        s.push('\n');
        s.push_str(&i.name);
        s.push(' ');
        s.push_str(&i.label);
    }
    s.to_lowercase()
}

fn stored(row: &sqlx::any::AnyRow) -> Result<StoredEntry, StoreError> {
    let body = text(row, "body")?;
    let entry: CatalogEntry = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
        what: "catalog entry",
        message: e.to_string(),
    })?;
    Ok(StoredEntry {
        id: text(row, "id")?,
        revision: int(row, "revision")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
        entry,
    })
}

const COLUMNS: &str = "id, revision, created_at, updated_at, body";

impl Store {
    /// Creates an entry after checking the catalog rules and that its owner exists.
    pub async fn create_entry(
        &self,
        entry: &CatalogEntry,
        actor: &str,
    ) -> Result<StoredEntry, StoreError> {
        entry.check()?;
        self.organization(&entry.owner).await?;
        let id = new_id("e-");
        let at = now();
        let body = serde_json::to_string(entry).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let (mut tx, _turn) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO catalog_entries
               (id, title, owner, body, search_text, item_count, sharing, open_attribute,
                revision, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
        )
        .bind(&id)
        .bind(&entry.title)
        .bind(&entry.owner)
        .bind(&body)
        .bind(search_text(entry))
        .bind(entry.items.len() as i64)
        .bind(entry.sharing.name())
        .bind(entry.open.name())
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            "catalog.create",
            &format!("entry:{id}"),
            Outcome::Success,
            &entry.title,
        )
        .await?;
        tx.commit().await?;
        Ok(StoredEntry {
            id,
            revision: 1,
            created_at: at.clone(),
            updated_at: at,
            entry: entry.clone(),
        })
    }

    /// Replaces entry `id`, made from `revision`; refuses a stale revision so that two editors
    /// never silently overwrite each other. The owner cannot change here.
    pub async fn update_entry(
        &self,
        id: &str,
        revision: i64,
        entry: &CatalogEntry,
        actor: &str,
    ) -> Result<StoredEntry, StoreError> {
        entry.check()?;
        let current = self.entry(id).await?;
        if current.entry.owner != entry.owner {
            return Err(StoreError::Invalid(
                "owner: an entry stays with the organization that holds the data".into(),
            ));
        }
        let at = now();
        let body = serde_json::to_string(entry).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let (mut tx, _turn) = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE catalog_entries
             SET title = $1, body = $2, search_text = $3, item_count = $4, sharing = $5,
                 open_attribute = $6, revision = revision + 1, updated_at = $7
             WHERE id = $8 AND revision = $9",
        )
        .bind(&entry.title)
        .bind(&body)
        .bind(search_text(entry))
        .bind(entry.items.len() as i64)
        .bind(entry.sharing.name())
        .bind(entry.open.name())
        .bind(&at)
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "entry {id} changed since revision {revision}; reload it and edit again"
            )));
        }
        append(
            &mut tx,
            actor,
            "catalog.update",
            &format!("entry:{id}"),
            Outcome::Success,
            &format!("revision {}", revision + 1),
        )
        .await?;
        tx.commit().await?;
        Ok(StoredEntry {
            id: id.to_string(),
            revision: revision + 1,
            created_at: current.created_at,
            updated_at: at,
            entry: entry.clone(),
        })
    }

    /// One entry.
    pub async fn entry(&self, id: &str) -> Result<StoredEntry, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM catalog_entries WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => stored(&r),
            None => Err(StoreError::NotFound {
                what: "catalog entry",
                id: id.to_string(),
            }),
        }
    }

    /// Every entry whose open attribute is one of `open` (by name), oldest first.
    pub async fn entries_with_open(&self, open: &[&str]) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM catalog_entries ORDER BY created_at, id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let e = stored(row)?;
            if open.contains(&e.entry.open.name()) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Entries matching `query`, most recently changed first, and how many match in all.
    pub async fn entries(&self, query: &EntryQuery) -> Result<(Vec<StoredEntry>, i64), StoreError> {
        let text_query = query.text.as_deref().unwrap_or("").trim().to_lowercase();
        if text_query.chars().count() > MAX_QUERY {
            return Err(StoreError::Invalid(format!(
                "q: at most {MAX_QUERY} characters"
            )));
        }
        // Up to four words, each a bound LIKE pattern; an empty pattern matches everything.
        let mut words: Vec<String> = text_query
            .split_whitespace()
            .take(4)
            .map(|w| format!("%{}%", escape_like(w)))
            .collect();
        words.resize(4, "%".to_string());
        // A word matches the entry's own text or its holder's name (杭州市水务集团 finds the
        // water company's entries, whose text names it only by code).
        let word = |n: u8| {
            format!(
                "(search_text LIKE ${n} ESCAPE '\\' OR owner IN \
                 (SELECT code FROM organizations WHERE LOWER(name) LIKE ${n} ESCAPE '\\'))"
            )
        };
        let filter = format!(
            "{} AND {} AND {} AND {} AND ($5 = '' OR owner = $5)",
            word(1),
            word(2),
            word(3),
            word(4)
        );
        let owner = query.owner.clone().unwrap_or_default();
        let count = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM catalog_entries WHERE {filter}"
        )))
        .bind(&words[0])
        .bind(&words[1])
        .bind(&words[2])
        .bind(&words[3])
        .bind(&owner)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM catalog_entries WHERE {filter}
             ORDER BY updated_at DESC, id LIMIT $6 OFFSET $7"
        )))
        .bind(&words[0])
        .bind(&words[1])
        .bind(&words[2])
        .bind(&words[3])
        .bind(&owner)
        .bind(i64::from(query.limit.unwrap_or(50).clamp(1, 500)))
        .bind(i64::from(query.offset.unwrap_or(0)))
        .fetch_all(&self.pool)
        .await?;
        let list = rows.iter().map(stored).collect::<Result<_, _>>()?;
        Ok((list, int(&count, "n")?))
    }
}
