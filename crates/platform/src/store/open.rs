//! The open-data portal's view of the store: the datasets a visitor may find (entries open to
//! the public with a live public release, and restricted entries, whose metadata is public),
//! and their view, download and API-call counters.
//!
//! Every search of the portal and of the CKAN adapter reads all of them, so they are kept in
//! memory, keyed by the audit chain's head: every change to an entry, a version, a release or an
//! organization appends to the chain in its own transaction, so a head that has not moved means
//! nothing they show has changed, in this process or any other. The counters are not audited;
//! the list is reloaded for them at most every few seconds, and a single dataset reads its own
//! afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Release, Store, StoreError, StoredEntry, int, text};
use crate::catalog::OpenAttribute;
use crate::opening::search::Haystack;
use crate::opening::servable_to_public;

/// A dataset of the portal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenDataset {
    /// The catalog entry.
    pub entry: StoredEntry,
    /// The holding organization's name.
    pub organization: String,
    /// The holding organization's region code (GB/T 2260).
    pub region: String,
    /// The newest release that may be served to anyone, if any (never one for grants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<Release>,
    /// Every release made for the public, newest first, withdrawn ones included (the record).
    pub history: Vec<Release>,
    /// How often it was viewed, downloaded and called.
    pub counts: OpenCounts,
    /// Its text as the search reads it.
    #[serde(skip)]
    #[schema(ignore)]
    pub haystack: Haystack,
}

impl OpenDataset {
    /// When its metadata or data last changed: its newest public release or its catalog edit.
    pub fn modified(&self) -> &str {
        match &self.latest {
            Some(r) if r.published_at.as_str() > self.entry.updated_at.as_str() => &r.published_at,
            _ => &self.entry.updated_at,
        }
    }
}

/// A dataset's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenCounts {
    /// Dataset page views.
    pub views: i64,
    /// File downloads.
    pub downloads: i64,
    /// API calls that read it (CKAN, DCAT, previews over the API).
    pub api_calls: i64,
}

/// What a visitor did, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenCount {
    /// Viewed the dataset's page.
    View,
    /// Downloaded a file.
    Download,
    /// Read it through the API.
    ApiCall,
}

/// How stale the counters of a cached list may be.
const COUNTS_FRESH: Duration = Duration::from_secs(5);

/// The portal's datasets as last loaded: the audit chain's head they were loaded at, when, and
/// the list.
type Loaded = (i64, Instant, Arc<Vec<OpenDataset>>);

/// How long counts gather in memory before they are written.
const COUNTS_FLUSH: Duration = Duration::from_secs(1);

/// The portal's datasets as last loaded, and the counts not yet written.
#[derive(Default)]
pub(crate) struct OpenCache {
    loaded: Mutex<Option<Loaded>>,
    pending: Mutex<Pending>,
}

/// Counts gathered since `since`.
struct Pending {
    since: Instant,
    counts: HashMap<String, OpenCounts>,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            since: Instant::now(),
            counts: HashMap::new(),
        }
    }
}

impl std::fmt::Debug for OpenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenCache")
    }
}

impl Store {
    /// Every dataset of the portal, in catalog order. The portal searches, facets and pages
    /// them (`opening::search`).
    pub async fn open_datasets(&self) -> Result<Arc<Vec<OpenDataset>>, StoreError> {
        let head: i64 = {
            let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log")
                .fetch_one(&self.pool)
                .await?;
            int(&row, "n")?
        };
        {
            let cached = self
                .open_cache
                .loaded
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((at_head, at, list)) = cached.as_ref()
                && *at_head == head
                && at.elapsed() < COUNTS_FRESH
            {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(self.load_open_datasets().await?);
        *self
            .open_cache
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((head, Instant::now(), list.clone()));
        Ok(list)
    }

    async fn load_open_datasets(&self) -> Result<Vec<OpenDataset>, StoreError> {
        let orgs: HashMap<String, (String, String)> = self
            .organizations()
            .await?
            .into_iter()
            .map(|o| (o.code, (o.name, o.region)))
            .collect();
        let entries = self
            .entries_with_open(&["unconditional", "restricted"])
            .await?;
        let mut releases: HashMap<String, Vec<Release>> = HashMap::new();
        for r in self.public_releases().await? {
            releases.entry(r.entry_id.clone()).or_default().push(r);
        }
        let counts = self.open_counts().await?;
        let mut out = Vec::new();
        for entry in entries {
            let history = releases.remove(&entry.id).unwrap_or_default();
            let latest = history
                .iter()
                .find(|r| {
                    servable_to_public(&entry.entry, &r.audience, r.withdrawn.is_some(), &r.plan)
                })
                .cloned();
            // An entry open to the public is found once it has something to serve; a
            // restricted one is found by its metadata (with the way to apply).
            if entry.entry.open == OpenAttribute::Unconditional && latest.is_none() {
                continue;
            }
            let (organization, region) = orgs
                .get(&entry.entry.owner)
                .cloned()
                .unwrap_or_else(|| (entry.entry.owner.clone(), String::new()));
            out.push(OpenDataset {
                counts: counts.get(&entry.id).copied().unwrap_or_default(),
                haystack: Haystack::of(&entry.entry, &organization),
                entry,
                organization,
                region,
                latest,
                history,
            });
        }
        Ok(out)
    }

    /// One dataset of the portal, or not found (an entry that is prohibited, or open but not
    /// yet released, is not on the portal).
    pub async fn open_dataset(&self, entry_id: &str) -> Result<OpenDataset, StoreError> {
        let mut d = self
            .open_datasets()
            .await?
            .iter()
            .find(|d| d.entry.id == entry_id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound {
                what: "open dataset",
                id: entry_id.to_string(),
            })?;
        self.flush_open_counts().await?;
        let row =
            sqlx::query("SELECT views, downloads, api_calls FROM open_counts WHERE entry_id = $1")
                .bind(entry_id)
                .fetch_optional(&self.pool)
                .await?;
        d.counts = match row {
            Some(r) => OpenCounts {
                views: int(&r, "views")?,
                downloads: int(&r, "downloads")?,
                api_calls: int(&r, "api_calls")?,
            },
            None => OpenCounts::default(),
        };
        Ok(d)
    }

    /// Counts one view, download or API call of an entry's open data. Counts gather in memory
    /// and are written together at most once a second (and before any read of them), so that
    /// a visitor's request is not a database write: a crash loses at most a second of counts.
    pub async fn count_open(&self, entry_id: &str, what: OpenCount) -> Result<(), StoreError> {
        let due = {
            let mut pending = self
                .open_cache
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let c = pending.counts.entry(entry_id.to_string()).or_default();
            match what {
                OpenCount::View => c.views += 1,
                OpenCount::Download => c.downloads += 1,
                OpenCount::ApiCall => c.api_calls += 1,
            }
            pending.since.elapsed() >= COUNTS_FLUSH
        };
        if due {
            self.flush_open_counts().await?;
        }
        Ok(())
    }

    /// Writes the counts gathered in memory, in one transaction.
    pub async fn flush_open_counts(&self) -> Result<(), StoreError> {
        let batch = {
            let mut pending = self
                .open_cache
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            pending.since = Instant::now();
            std::mem::take(&mut pending.counts)
        };
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (entry_id, c) in &batch {
            sqlx::query(
                "INSERT INTO open_counts (entry_id, views, downloads, api_calls)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (entry_id) DO UPDATE SET
                   views = open_counts.views + $2,
                   downloads = open_counts.downloads + $3,
                   api_calls = open_counts.api_calls + $4",
            )
            .bind(entry_id)
            .bind(c.views)
            .bind(c.downloads)
            .bind(c.api_calls)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn open_counts(&self) -> Result<HashMap<String, OpenCounts>, StoreError> {
        self.flush_open_counts().await?;
        let rows = sqlx::query("SELECT entry_id, views, downloads, api_calls FROM open_counts")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    text(r, "entry_id")?,
                    OpenCounts {
                        views: int(r, "views")?,
                        downloads: int(r, "downloads")?,
                        api_calls: int(r, "api_calls")?,
                    },
                ))
            })
            .collect()
    }

    /// The counters summed over every entry.
    pub async fn open_count_totals(&self) -> Result<OpenCounts, StoreError> {
        Ok(self
            .open_counts()
            .await?
            .values()
            .fold(OpenCounts::default(), |a, c| OpenCounts {
                views: a.views + c.views,
                downloads: a.downloads + c.downloads,
                api_calls: a.api_calls + c.api_calls,
            }))
    }
}
