//! `pubdata serve`, `pubdata admin create` and `pubdata audit verify`: the platform's commands,
//! over the same store the server uses.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use pubdata_platform::demo;
use pubdata_platform::ingest::IngestError;
use pubdata_platform::org::{AdminLevel, OrganizationKind, Role};
use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::{CHECKPOINT_FILE, NewUser, Organization, Store, StoreError};

/// Where the platform keeps its metadata and data.
#[derive(Debug, Args)]
pub struct Location {
    /// Folder for the embedded database and the datasets.
    #[arg(long, default_value = "./pubdata-data")]
    pub data_dir: PathBuf,
    /// Metadata database instead of the embedded SQLite: postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "PUBDATA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Dataset location instead of DATA_DIR/datasets: a folder, file:///..., or another
    /// object-store URL this build supports. Scratch files stay under DATA_DIR/incoming.
    #[arg(long, env = "PUBDATA_DATASETS_URL")]
    pub datasets_url: Option<String>,
}

impl Location {
    fn describe(&self) -> String {
        match &self.database_url {
            Some(url) => redact(url),
            None => format!("sqlite {}", self.data_dir.join("metadata.db").display()),
        }
    }

    pub(crate) fn datasets(&self) -> anyhow::Result<DatasetStorage> {
        Ok(match &self.datasets_url {
            Some(url) if url.starts_with("memory:") => {
                bail!("--datasets-url {url}: keeps nothing once the process ends (it is for tests)")
            }
            Some(url) => DatasetStorage::open(url, &self.data_dir.join("incoming"))?,
            None => pubdata_platform::ingest::local_storage(&self.data_dir)?,
        })
    }

    /// Refuses a location that holds no platform, creating nothing: only `serve` and
    /// `admin create` start one, so a mistyped `--data-dir` (or a forgotten one) is an error
    /// naming what was looked for, not a new, empty platform that answers "0 entries".
    pub(crate) async fn require_platform(&self) -> anyhow::Result<()> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => Store::sqlite_url(&self.data_dir.join("metadata.db")),
        };
        let held = Store::holds_platform(&url)
            .await
            .with_context(|| format!("metadata store {}", self.describe()))?;
        if !held {
            bail!(
                "{}: no platform here; name the platform's --data-dir or --database-url \
                 (only `pubdata serve` and `pubdata admin create` start a new one)",
                self.describe()
            );
        }
        Ok(())
    }

    /// Opens the store and keeps the audit chain's head checkpointed in the data folder while
    /// the command runs; end the command with [`finish`].
    pub(crate) async fn open(&self) -> anyhow::Result<Store> {
        let store = self
            .open_unanchored()
            .await?
            .keep_audit_checkpoint(&self.data_dir)
            .await
            .context("keeping the audit checkpoint")?;
        checkpoint(&store).await?;
        Ok(store)
    }

    /// Opens the store without touching the audit checkpoint (for `audit verify`, which must
    /// neither start one nor move one).
    pub(crate) async fn open_unanchored(&self) -> anyhow::Result<Store> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("{}: cannot create the data folder", self.data_dir.display())
                })?;
                Store::sqlite_url(&self.data_dir.join("metadata.db"))
            }
        };
        Store::open(&url)
            .await
            .with_context(|| format!("metadata store {}", self.describe()))
    }
}

/// Checkpoints the audit chain's head. When the chain no longer holds the last checkpoint, the
/// file is left as it is and this only warns: the command's own work is done, and the evidence is
/// for `audit verify`, which fails on it.
async fn checkpoint(store: &Store) -> anyhow::Result<()> {
    match store.checkpoint_audit().await {
        Ok(_) => Ok(()),
        Err(StoreError::Anchor(b)) => {
            eprintln!(
                "warning: the audit checkpoint is left as it is: {b}; run `pubdata audit verify`"
            );
            Ok(())
        }
        Err(e) => Err(e).context("keeping the audit checkpoint"),
    }
}

/// Ends a command on a store from [`Location::open`]: a last checkpoint of the audit chain's
/// head, whether the command succeeded or not (a refusal is audited too), then the store closes.
pub(crate) async fn finish<T>(store: &Store, result: anyhow::Result<T>) -> anyhow::Result<T> {
    let last = checkpoint(store).await;
    store.close().await;
    let value = result?;
    last?;
    Ok(value)
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Arguments of `pubdata serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub location: Location,
    /// Seed a demo province (organizations, users, catalog) into an empty store.
    #[arg(long)]
    pub demo: bool,
    /// The portal is reached over HTTPS (through a TLS proxy): session cookies are marked Secure.
    #[arg(long)]
    pub secure_cookies: bool,
    /// Requests per second one address may make without signing in (sustained); more get 429.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub anonymous_rate: u32,
    /// Requests one address may make at once without signing in, above the sustained rate.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub anonymous_burst: u32,
    /// Requests per second one signed-in user (token or session) may make (sustained).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub signed_in_rate: u32,
    /// Requests one signed-in user may make at once, above the sustained rate.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub signed_in_burst: u32,
    /// A proxy in front of the portal (its address, repeatable) whose `X-Forwarded-For` names
    /// the client; without it every client behind the proxy shares one address's limits.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The authority's SQL: a query still running after this many seconds is stopped.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub sql_time_limit: u64,
    /// The authority's SQL: memory a query's sorts, joins and aggregates may hold, in MiB.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    pub sql_memory: usize,
    /// Job workers (de-identification and anonymization jobs run at once); default: the cores.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// The time zone the pages show times in (an IANA name; times are stored in UTC).
    #[arg(long, default_value = "Asia/Shanghai", value_name = "ZONE", value_parser = parse_zone)]
    pub time_zone: chrono_tz::Tz,
    /// How visitors reach the authority, shown in every page's footer (an address, a number).
    #[arg(long, value_name = "TEXT")]
    pub contact: Option<String>,
    /// Where the portal's terms of use are published, linked from every page's footer.
    #[arg(long, value_name = "URL", value_parser = parse_link)]
    pub terms_url: Option<String>,
}

/// `pubdata admin ...`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an authority administrator (the first one, or another).
    Create(AdminCreateArgs),
}

/// Arguments of `pubdata admin create`.
#[derive(Debug, Args)]
pub struct AdminCreateArgs {
    /// Sign-in name.
    #[arg(long)]
    pub username: String,
    /// Code of the data authority the administrator works for; created when missing.
    #[arg(long, default_value = "data-authority")]
    pub organization: String,
    /// Name of the data authority, when it has to be created.
    #[arg(long, default_value = "公共数据主管部门")]
    pub organization_name: String,
    /// Administrative division code of the authority's area, when it has to be created.
    #[arg(long, default_value = "330000")]
    pub region: String,
    /// Read the password from the first line of standard input instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub location: Location,
}

/// `pubdata audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain and name the first broken entry, then check that the log
    /// still holds its head as the checkpoint in the data folder and the dataset versions recorded
    /// it (deleting the newest entries leaves a chain that links).
    Verify(AuditVerifyArgs),
}

/// Arguments of `pubdata audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    #[command(flatten)]
    pub location: Location,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `pubdata serve`.
pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // A port already taken is said first, before a store is opened (or created) or "serving"
    // printed; the server binds again when it starts (after clearing its scratch folder).
    std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot serve on {}", args.listen))?;
    runtime()?.block_on(async {
        let store = args.location.open().await?;
        let datasets = args.location.datasets()?;
        if args.demo {
            let seeded = demo::seed(&store).await.context("seeding the demo province")?;
            demo::seed_datasets(&store, &datasets)
                .await
            .context("aggregating the demo datasets")?;
            let users: Vec<&str> = demo::DEMO_USERS.iter().map(|u| u.0).collect();
            println!(
                "demo province {}: sign in as {} with password {:?} (demo only; never expose it)",
                if seeded { "seeded" } else { "already present" },
                users.join(", "),
                demo::DEMO_PASSWORD
            );
        } else if !store.has_admin().await? {
            println!(
                "no administrator yet: create one with `pubdata admin create --username NAME` (same --data-dir / --database-url)"
            );
        }
        println!(
            "pubdata serving http://{} (metadata: {}; datasets: {}); Ctrl-C stops",
            args.listen,
            args.location.describe(),
            datasets.location()
        );
        if args.secure_cookies && args.trusted_proxies.is_empty() {
            eprintln!(
                "warning: --secure-cookies without --trusted-proxy: if a proxy forwards every \
                 request, all its clients share one address's rate limits and sign-in holds"
            );
        }
        let mut sql = pubdata_web::SqlSettings::new().context("cannot start the SQL runtime")?;
        sql.time_limit = std::time::Duration::from_secs(args.sql_time_limit.max(1));
        sql.memory = args.sql_memory.max(1) << 20;
        let state = pubdata_web::AppState {
            sql,
            trusted_proxies: args.trusted_proxies.clone(),
            secure_cookies: args.secure_cookies,
            time_zone: args.time_zone,
            site: std::sync::Arc::new(pubdata_web::SiteInfo {
                contact: args.contact.clone(),
                terms_url: args.terms_url.clone(),
            }),
            anonymous_rate: pubdata_web::Rate {
                per_second: args.anonymous_rate,
                burst: args.anonymous_burst,
            },
            signed_in_rate: pubdata_web::Rate {
                per_second: args.signed_in_rate,
                burst: args.signed_in_burst,
            },
            ..pubdata_web::AppState::new(store.clone(), datasets)
        }
        .start_workers(
            args.workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        );
        if args.demo {
            publish_demo(&store, &state).await?;
        }
        // Until Ctrl-C; the last checkpoint of the audit chain's head is written after.
        let served = pubdata_web::serve(args.listen, state)
            .await
            .with_context(|| format!("cannot serve on {}", args.listen));
        finish(&store, served).await
    })
}

/// Publishes the demo's open entries through the release jobs (as a department would) and
/// waits for them, so the portal shows data from the first page.
async fn publish_demo(store: &Store, state: &pubdata_web::AppState) -> anyhow::Result<()> {
    let jobs = pubdata_release::publish::queue_demo_releases(store)
        .await
        .context("queuing the demo releases")?;
    if let Some(w) = &state.workers {
        w.wake();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    for id in &jobs {
        loop {
            let job = store.job(id).await?;
            if job.state.is_final() {
                if let Some(e) = job.error {
                    anyhow::bail!("demo release of {} failed: {e}", job.entry_id);
                }
                break;
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!("demo release of {} did not finish in 120 s", job.entry_id);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    if !jobs.is_empty() {
        println!("demo: published {} open releases", jobs.len());
    }
    Ok(())
}

/// An IANA time zone name (`Asia/Shanghai`), with what to give instead when it is not one.
fn parse_zone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not a time zone name such as Asia/Shanghai or UTC"))
}

/// A link every page shows: an `https://` or `http://` address, or a path on this site; never a
/// `javascript:` or other scheme a browser would run.
fn parse_link(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    let local = s.starts_with('/') && !s.starts_with("//");
    if web || local {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is neither an http(s) address nor a path on this site"
        ))
    }
}

/// An upload's quality report in words: counts, then each reason with the first rows it hit
/// (row and item, never the value).
fn print_report(name: &str, r: &pubdata_platform::quality::QualityReport) {
    let rows = |n: u64| if n == 1 { "row" } else { "rows" };
    println!(
        "{}: {} {} read, {} accepted, {} rejected",
        name,
        r.rows_read,
        rows(r.rows_read),
        r.rows_accepted,
        r.rows_rejected
    );
    for (reason, n) in &r.rejections {
        let at: Vec<String> = r
            .examples
            .iter()
            .filter(|e| e.reason == *reason)
            .take(5)
            .map(|e| format!("row {} ({})", e.row, e.item))
            .collect();
        println!(
            "  {n} rejected: {} [{}]{}",
            reason.describe(),
            reason.name(),
            if at.is_empty() {
                String::new()
            } else {
                format!("; first at {}", at.join(", "))
            }
        );
    }
    if r.duplicate_keys > 0 {
        println!("  {} duplicate keys (kept)", r.duplicate_keys);
    }
}

/// Runs `pubdata admin ...`.
pub fn admin(cmd: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create(args) = cmd;
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).context("the operating system's random generator")?;
        data_encoding::HEXLOWER.encode(&bytes)
    };
    runtime()?.block_on(async {
        let store = args.location.open().await?;
        let done = async {
            match store.organization(&args.organization).await {
                Ok(org) if org.kind != OrganizationKind::DataAuthority => bail!(
                    "organization {} is a {}, not the data authority; administrators work for the authority",
                    org.code,
                    org.kind
                ),
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => {
                    store
                        .create_organization(
                            &Organization {
                                code: args.organization.clone(),
                                name: args.organization_name.clone(),
                                kind: OrganizationKind::DataAuthority,
                                level: AdminLevel::Province,
                                region: args.region.clone(),
                            },
                            "pubdata admin create",
                        )
                        .await
                        .context("creating the data authority")?;
                }
                Err(e) => return Err(e.into()),
            }
            store
                .create_user(
                    &NewUser {
                        username: args.username.clone(),
                        display_name: String::new(),
                        role: Role::AuthorityAdmin,
                        organization: Some(args.organization.clone()),
                        password: password.clone(),
                    },
                    "pubdata admin create",
                )
                .await
                .with_context(|| format!("creating administrator {}", args.username))?;
            if args.password_stdin {
                println!("administrator {} created", args.username);
            } else {
                println!(
                    "administrator {} created with password {password} (shown once; sign in and keep it safe)",
                    args.username
                );
            }
            Ok(())
        }
        .await;
        finish(&store, done).await
    })
}

/// Runs `pubdata audit ...`.
pub fn audit(cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify(args) = cmd;
    runtime()?.block_on(async {
        args.location.require_platform().await?;
        let store = args.location.open_unanchored().await?;
        let dir = &args.location.data_dir;
        let v = match store.verify_audit_anchored(dir).await {
            Ok(v) => v,
            Err(StoreError::Chain(b)) => {
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"intact": false, "first_broken": b.seq, "reason": b.reason.to_string()})
                    );
                }
                bail!("audit log broken at entry {}: {}", b.seq, b.reason)
            }
            Err(e) => return Err(e.into()),
        };
        store.close().await;
        if args.json {
            let checkpoint = v.checkpoint.as_ref().map(|c| {
                serde_json::json!({
                    "file": dir.join(CHECKPOINT_FILE),
                    "seq": c.seq,
                    "hash": c.hash,
                    "at": c.at,
                    "mac_valid": v.checkpoint_mac_valid,
                })
            });
            let breaks: Vec<serde_json::Value> = v
                .breaks
                .iter()
                .map(|b| {
                    let mut j = serde_json::to_value(b).unwrap_or_default();
                    j["message"] = b.to_string().into();
                    j
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "intact": v.breaks.is_empty(),
                    "entries": v.entries,
                    "head": v.head,
                    "checkpoint": checkpoint,
                    "versions_checked": v.versions_checked,
                    "anchor_breaks": breaks,
                    "warnings": v.warnings,
                })
            );
        }
        if let Some(first) = v.breaks.first() {
            let more = match v.breaks.len() {
                1 => String::new(),
                n => format!(" (and {} more; --json lists them)", n - 1),
            };
            bail!("audit log: {first}{more}");
        }
        if !args.json {
            println!(
                "audit log intact: {} entries, every hash links to the one before",
                v.entries
            );
            if let Some(c) = &v.checkpoint {
                println!(
                    "checkpoint of {}: entry {} is in the log, its MAC verifies",
                    c.at, c.seq
                );
            }
            if v.versions_checked > 0 {
                println!(
                    "{} dataset versions: the entry that committed each is in the log",
                    v.versions_checked
                );
            }
        }
        for w in &v.warnings {
            eprintln!("warning: {w}");
        }
        Ok(())
    })
}

/// Arguments of `pubdata ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The catalog entry's id.
    pub entry: String,
    /// The file to aggregate (CSV incl. GBK, TSV, XLSX, JSON Lines, Parquet).
    pub file: PathBuf,
    /// The department officer uploading it (must act for the entry's owner).
    #[arg(long)]
    pub user: String,
    /// Add to the current version, or replace it.
    #[arg(long, value_enum, default_value = "append")]
    pub mode: IngestMode,
    /// Format, when the extension does not tell.
    #[arg(long)]
    pub format: Option<String>,
    /// Rejected rows that still let the others become a version: a number (10), a share (5%)
    /// or all. Default: none; one rejected row refuses the whole file, with its report.
    #[arg(long, value_name = "N|P%|all", default_value = "0")]
    pub max_rejected: pubdata_platform::ingest::RejectLimit,
    #[command(flatten)]
    pub location: Location,
    /// Print the version and its quality report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Append or replace.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum IngestMode {
    /// The new version holds the previous rows and the new ones.
    Append,
    /// The new version holds only the new rows.
    Replace,
}

/// Runs `pubdata ingest`.
pub fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    use pubdata_platform::access::{Action, Principal};
    use pubdata_platform::ingest::{Mode, Upload};
    runtime()?.block_on(async {
        args.location.require_platform().await?;
        let store = args.location.open().await?;
        let done = async {
            let entry = store.entry(&args.entry).await?;
            let user = store
                .users()
                .await?
                .into_iter()
                .find(|u| u.username == args.user)
                .with_context(|| format!("no user {:?}", args.user))?;
            let principal = Principal {
                user: user.username.clone(),
                role: user.role,
                organization: user.organization.clone(),
            };
            let action = Action::UploadData {
                owner: entry.entry.owner.clone(),
            };
            // The same decision and refusal record as the API's; the client is the local shell.
            match store
                .authorize(
                    Some(&principal),
                    &action,
                    &format!("entry:{}", entry.id),
                    "cli",
                )
                .await
            {
                Err(pubdata_platform::store::StoreError::Denied(denied)) => {
                    bail!("{}: {denied}", user.username)
                }
                other => other?,
            }
            let format = args
                .format
                .as_deref()
                .map(str::parse::<pubdata_tables::Format>)
                .transpose()?;
            let name = args
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let upload = Upload {
                file: &args.file,
                format,
                source_name: &name,
                mode: match args.mode {
                    IngestMode::Append => Mode::Append,
                    IngestMode::Replace => Mode::Replace,
                },
                actor: &user.username,
                max_rejected: args.max_rejected,
            };
            let v = match pubdata_platform::ingest::ingest(
                &store,
                &args.location.datasets()?,
                &entry,
                &upload,
            )
            .await
            {
                Ok(v) => v,
                Err(e) => {
                    // Refused for its rows: the report says which, as a committed one would.
                    if let IngestError::TooManyRejected { report, .. }
                    | IngestError::NothingAccepted { report, .. } = &e
                    {
                        if args.json {
                            let refused = serde_json::json!({"committed": false, "report": report});
                            println!("{}", serde_json::to_string_pretty(&refused)?);
                        } else {
                            print_report(&name, report);
                        }
                    }
                    return Err(e.into());
                }
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_report(&name, &v.report);
            }
            eprintln!(
                "{} version {} committed: {} rows",
                entry.id, v.version, v.rows
            );
            Ok(())
        }
        .await;
        finish(&store, done).await
    })
}
