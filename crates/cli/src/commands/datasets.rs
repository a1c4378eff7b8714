//! `pubdata datasets sweep`: removes dataset parts that no version lists, and the scratch files
//! (spooled uploads, parts being written) that stopped processes left.

use clap::{Args, Subcommand};
use pubdata_platform::sweep::sweep;

use super::platform::{Location, finish, runtime};

/// `pubdata datasets ...`.
#[derive(Debug, Subcommand)]
pub enum DatasetsCommand {
    /// Remove parts no dataset version lists (left by ingests that stopped before committing),
    /// and scratch files a stopped server or ingest left under DATA_DIR/incoming.
    Sweep(SweepArgs),
}

/// Arguments of `pubdata datasets sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub location: Location,
    /// Keep unlisted parts and scratch files younger than this many minutes: they may belong to
    /// an ingest still under way.
    #[arg(long, default_value_t = 60)]
    pub grace_minutes: i64,
    /// List what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Sweep even with a grace period under 10 minutes, or when the metadata store lists no
    /// dataset version at all (which usually means it is not this location's store).
    #[arg(long)]
    pub force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `pubdata datasets ...`.
pub fn run(cmd: DatasetsCommand) -> anyhow::Result<()> {
    let DatasetsCommand::Sweep(args) = cmd;
    anyhow::ensure!(
        args.grace_minutes >= 10 || (args.force && args.grace_minutes >= 0),
        "--grace-minutes {}: under 10 minutes an ingest still under way may lose its part \
         (--force to sweep anyway)",
        args.grace_minutes
    );
    runtime()?.block_on(async {
        // Sweeping against a new, empty store would find every part unlisted.
        args.location.require_platform().await?;
        let store = args.location.open().await?;
        let done = async {
            let datasets = args.location.datasets()?;
            let report = sweep(
                &store,
                &datasets,
                chrono::Duration::minutes(args.grace_minutes),
                args.dry_run,
                args.force,
                "pubdata datasets sweep",
            )
            .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let verb = if report.dry_run {
                    "would remove"
                } else {
                    "removed"
                };
                for part in &report.removed {
                    println!("{verb} {part}");
                }
                for name in &report.scratch_removed {
                    println!("{verb} scratch file {name}");
                }
            }
            eprintln!(
                "{}: {} objects ({} not parts, left alone), {} listed by versions, {} recent kept, {} unlisted {} ({} bytes)",
                datasets.location(),
                report.objects,
                report.foreign,
                report.referenced,
                report.recent,
                report.removed.len(),
                if report.dry_run {
                    "would be removed"
                } else {
                    "removed"
                },
                report.removed_bytes
            );
            eprintln!(
                "{}: {} scratch files {} ({} bytes), {} recent kept",
                datasets.scratch().display(),
                report.scratch_removed.len(),
                if report.dry_run {
                    "would be removed"
                } else {
                    "removed"
                },
                report.scratch_bytes,
                report.scratch_recent
            );
            Ok(())
        }
        .await;
        finish(&store, done).await
    })
}
