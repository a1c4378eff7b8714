//! The metadata store: organizations, users and credentials, the catalog, dataset versions and the
//! audit log, on SQLite (embedded default) or PostgreSQL (production) through one driver chosen by
//! the URL. The SQL is written once for both: text, 64-bit integers and doubles only, ids made by
//! the application, times as RFC 3339 text in UTC (which sorts as it reads).
//!
//! Every change commits together with its audit entry, in one transaction.

mod audit_log;
mod checkpoint;
mod datasets;
mod entries;
mod jobs;
mod open;
mod people;
mod refusals;
mod releases;
mod stats;
mod throttle;
mod verifier;

use sqlx::AssertSqlSafe;
use std::path::Path;
use std::sync::Arc;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

pub use audit_log::{AuditFilter, MAX_DETAIL};
pub use checkpoint::{AnchoredVerification, CHECKPOINT_FILE, CHECKPOINT_INTERVAL, KEY_FILE};
pub use datasets::VersionInfo;
pub use entries::{EntryQuery, StoredEntry};
pub use jobs::{HEARTBEAT_STALE, Job, JobEnd, JobKind, JobState, NewJob, StoredPolicy};
pub use open::{OpenCount, OpenCounts, OpenDataset};
pub use people::{Credential, CredentialKind, NewUser, Organization, User};
pub use releases::{MAX_REASON, NewRelease, Release, Withdrawal};
pub use stats::Stats;
pub use throttle::{FREE_CLIENT_FAILURES, FREE_FAILURES};

use crate::audit::{AnchorBreak, ChainBreak};
use crate::catalog::Violations;

/// The schema, in order. Each runs once, in a transaction, and is recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "platform",
        include_str!("../../migrations/0001_platform.sql"),
    ),
    (
        2,
        "version_audit_head",
        include_str!("../../migrations/0002_version_audit_head.sql"),
    ),
    (3, "jobs", include_str!("../../migrations/0003_jobs.sql")),
    (
        4,
        "releases",
        include_str!("../../migrations/0004_releases.sql"),
    ),
    (
        5,
        "open_counts",
        include_str!("../../migrations/0005_open_counts.sql"),
    ),
    (
        6,
        "release_plans",
        include_str!("../../migrations/0006_release_plans.sql"),
    ),
];

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or could not be reached.
    #[error("metadata database: {0}")]
    Database(#[from] sqlx::Error),
    /// Nothing has this id.
    #[error("no {what} {id:?}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The change conflicts with what is stored (a duplicate name, a stale revision).
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// A catalog entry breaks the catalog rules.
    #[error(transparent)]
    Rules(#[from] Violations),
    /// A release would break the opening rules.
    #[error(transparent)]
    NotReleasable(#[from] crate::opening::Refusals),
    /// The caller may not do this (the refusal is audited).
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    /// User name or password wrong (which one is not said).
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed sign-ins for this user name: attempts are held back for a while.
    #[error("too many failed sign-ins for this user name; try again in {seconds} s")]
    Throttled {
        /// Seconds until the next attempt is checked.
        seconds: u64,
    },
    /// Too many password checks are waiting: the caller should try again shortly.
    #[error("the server is busy checking passwords; try again in {seconds} s")]
    Busy {
        /// Seconds to wait before trying again.
        seconds: u64,
    },
    /// The audit chain is broken.
    #[error("audit log: {0}")]
    Chain(#[from] ChainBreak),
    /// The audit chain no longer holds the head recorded outside it (or that record is unusable).
    #[error("audit log: {0}")]
    Anchor(#[from] AnchorBreak),
    /// The audit checkpoint or its key could not be read or written.
    #[error("audit checkpoint {}: {source}", path.display())]
    CheckpointIo {
        /// The file or folder.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Stored text that does not parse (written by something else than this program).
    #[error("stored {what} is not readable: {message}")]
    Corrupt {
        /// What was read.
        what: &'static str,
        /// Why it does not parse.
        message: String,
    },
}

/// The metadata store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Writers take turns: see [`Store::begin_write`].
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Failed sign-ins, to slow password guessing.
    throttle: Arc<throttle::Throttle>,
    /// Password checks running at once: each takes argon2's 19 MiB and a core for tens of
    /// milliseconds, so a flood of sign-ins must queue, not multiply.
    verifications: Arc<tokio::sync::Semaphore>,
    /// The threads that check passwords (see [`verifier`]).
    verifier: verifier::Verifier,
    /// Repeated refusals, recorded once per window (see [`refusals`]).
    refusals: Arc<refusals::Refusals>,
    /// The checkpoint of the audit chain's head, when one is kept (see [`checkpoint`]).
    checkpoint: Option<Arc<checkpoint::Keeper>>,
    /// The portal's datasets as last loaded (see [`open`]).
    open_cache: Arc<open::OpenCache>,
}

/// How long an SQLite writer waits for another process's write lock before it fails.
const SQLITE_BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sign-ins checking or queued to check a password at once; more wait (briefly) for a place.
const VERIFY_QUEUE: usize = 16;

/// Holds a writer's turn until dropped (after its transaction commits or rolls back).
pub(crate) type Turn = tokio::sync::OwnedMutexGuard<()>;

/// The PostgreSQL advisory lock key of the writers' turn ("pubdata" in ASCII, as an integer).
const WRITE_LOCK_KEY: i64 = 0x70_7562_6461_7461;

/// One connection to `url`, closed again: a server that refuses or a wrong password is said at
/// once, in the driver's words, where a pool would retry for its whole acquire timeout (30 s) and
/// then only say it timed out.
async fn probe(url: &str) -> Result<(), StoreError> {
    use sqlx::Connection;
    sqlx::AnyConnection::connect(url).await?.close().await?;
    Ok(())
}

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in a file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH?mode=rwc` or `postgres://...`) and brings the schema up
    /// to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Invalid(format!(
                "database URL {url:?}: expected sqlite://PATH or postgres://..."
            )));
        };
        if backend == Backend::Postgres {
            probe(url).await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    // Another process's writer (`pubdata ingest` beside `serve`) holds SQLite's
                    // one write lock for a moment: wait for it instead of failing at once.
                    if backend == Backend::Sqlite {
                        sqlx::query(AssertSqlSafe(format!(
                            "PRAGMA busy_timeout = {}",
                            SQLITE_BUSY_WAIT.as_millis()
                        )))
                        .execute(conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let store = Store {
            pool,
            backend,
            turn: Arc::new(tokio::sync::Mutex::new(())),
            throttle: Arc::default(),
            verifications: Arc::new(tokio::sync::Semaphore::new(VERIFY_QUEUE)),
            refusals: Arc::default(),
            checkpoint: None,
            open_cache: Arc::default(),
            // One core fewer than the machine has: under a flood of sign-ins the catalog, the
            // pages and the API keep a core.
            verifier: verifier::Verifier::start(
                std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)),
            ),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Whether the database at `url` holds a platform (its schema has been created), found
    /// without creating anything: a missing SQLite file or an empty PostgreSQL database holds
    /// none. Every command but the ones that start a platform refuses such a location, so that a
    /// mistyped folder is an error rather than a new, empty platform.
    pub async fn holds_platform(url: &str) -> Result<bool, StoreError> {
        install_default_drivers();
        let (url, query) = if let Some(rest) = url.strip_prefix("sqlite://") {
            let path = rest.split('?').next().unwrap_or(rest);
            if !Path::new(path).is_file() {
                return Ok(false);
            }
            (
                format!("sqlite://{path}?mode=ro"),
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            )
        } else {
            (
                url.to_string(),
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' AND table_schema = current_schema()",
            )
        };
        if !url.starts_with("sqlite:") {
            probe(&url).await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await?;
        let found: Result<i64, _> = sqlx::query_scalar(query).fetch_one(&pool).await;
        pool.close().await;
        Ok(found? > 0)
    }

    /// The URL of an SQLite database file, created if missing.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Which database is behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that changes something. Writers take turns: every change appends to
    /// the one tail of the audit chain, so two at once would fork it (PostgreSQL refuses the
    /// second; SQLite reports itself busy). In this process the turn is a lock; across server
    /// processes on PostgreSQL, a transaction-scoped advisory lock.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Any>, Turn), StoreError> {
        let turn = self.turn.clone().lock_owned().await;
        // On SQLite a deferred transaction that reads first cannot always take the write lock
        // later (another process may have written meanwhile): take it at the start.
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        Ok((tx, turn))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for &(version, name, sql) in MIGRATIONS {
            let (mut tx, _turn) = self.begin_write().await?;
            let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(version)
            .bind(name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Closes the pool, after a last audit checkpoint when one is kept.
    pub async fn close(&self) {
        self.stop_checkpoints().await;
        // Counts that cannot be written now are lost, like a crash's last second of them.
        let _ = self.flush_open_counts().await;
        self.pool.close().await;
    }
}

/// The current time as RFC 3339 in UTC with milliseconds (fixed width, so text order is time order).
pub fn now() -> String {
    time_after(chrono::Duration::zero())
}

/// The time `d` from now, formatted as [`now`].
pub fn time_after(d: chrono::Duration) -> String {
    (chrono::Utc::now() + d).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A random identifier: `prefix` and 20 lowercase base32 characters (100 bits).
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 13];
    random(&mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
    format!("{prefix}{}", &text[..20])
}

pub(crate) fn random(buf: &mut [u8]) {
    // The operating system's generator failing is not a state the platform can run in.
    getrandom::fill(buf).expect("the operating system's random generator is available");
}

/// Reads a text column.
pub(crate) fn text(row: &sqlx::any::AnyRow, column: &str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(column)?)
}

/// Reads an integer column.
pub(crate) fn int(row: &sqlx::any::AnyRow, column: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(column)?)
}
