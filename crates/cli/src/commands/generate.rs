//! `pubdata gen citizens`: a deterministic synthetic table of residents, with ground truth.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use pubdata_synth::{CITIZEN_COLUMNS, CitizenGenerator, ColumnTruth, TruthSpan, citizens_schema};
use pubdata_tables::{Format, TableWriter};
use serde::Serialize;

use crate::progress::{rows_bar, thousands};

/// What to generate.
#[derive(Subcommand)]
pub enum GenCommand {
    /// Residents with IDs, phones, addresses, bank cards, plates, employers, diagnoses, income and remarks.
    Citizens(CitizensArgs),
    /// A province-sized open catalog in a platform, for benchmarks: entries with a version and a
    /// public release each, reusing a release already published there (run `serve --demo` once).
    Catalog(CatalogArgs),
}

/// Arguments of `pubdata gen catalog`.
#[derive(Args)]
pub struct CatalogArgs {
    /// Entries to add.
    #[arg(long, default_value_t = 10_000)]
    pub entries: u64,
    #[command(flatten)]
    pub location: super::platform::Location,
}

/// Arguments of `pubdata gen citizens`.
#[derive(Args)]
pub struct CitizensArgs {
    /// Number of rows.
    #[arg(long, default_value_t = 1000)]
    pub rows: u64,
    /// Seed: the same seed gives the same table.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file; .csv, .tsv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the ground truth (column types and the spans in the remarks) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Rows per batch.
    #[arg(long, default_value_t = 8192)]
    pub batch_size: usize,
}

#[derive(Serialize)]
struct Truth<'a> {
    generator: &'static str,
    seed: u64,
    rows: u64,
    columns: &'a [ColumnTruth],
    free_text_column: &'static str,
    spans: Vec<TruthSpan>,
}

/// Runs a generator.
pub fn run(cmd: GenCommand) -> anyhow::Result<()> {
    match cmd {
        GenCommand::Citizens(args) => citizens(args),
        GenCommand::Catalog(args) => catalog(args),
    }
}

fn catalog(args: CatalogArgs) -> anyhow::Result<()> {
    super::platform::runtime()?.block_on(async {
        args.location.require_platform().await?;
        let store = args.location.open().await?;
        let template = store
            .open_datasets()
            .await?
            .iter()
            .find_map(|d| d.latest.clone())
            .context(
                "no public release to copy: run `pubdata serve --demo` on this platform once, \
                 or publish a release",
            )?;
        let bar = rows_bar(Some(args.entries), "entries");
        let started = Instant::now();
        let made =
            pubdata_platform::bulk::synthetic_catalog(&store, &template, args.entries, |n| {
                bar.set_position(n)
            })
            .await;
        bar.finish_and_clear();
        let made = made.context("adding the synthetic catalog")?;
        println!(
            "added {} entries with a public release each (copies of {}) in {:.1} s",
            thousands(made),
            template.entry_id,
            started.elapsed().as_secs_f64()
        );
        super::platform::finish(&store, Ok(())).await
    })
}

fn citizens(args: CitizensArgs) -> anyhow::Result<()> {
    super::refuse_overwriting(
        &[],
        &[
            ("--out", Some(&args.out)),
            ("--truth", args.truth.as_deref()),
        ],
    )?;
    let start = Instant::now();
    let format = Format::from_path(&args.out)?;
    let mut writer = TableWriter::create(&args.out, format, citizens_schema())?;
    let mut generator = CitizenGenerator::new(args.seed, args.rows);
    let mut spans = Vec::new();
    let bar = rows_bar(Some(args.rows), "generating");
    while let Some(batch) = generator.next_batch(
        args.batch_size.max(1),
        args.truth.as_ref().map(|_| &mut spans),
    ) {
        writer.write(&batch)?;
        bar.inc(batch.num_rows() as u64);
    }
    let written = writer.finish()?;
    bar.finish_and_clear();
    if let Some(path) = &args.truth {
        let truth = Truth {
            generator: "citizens",
            seed: args.seed,
            rows: args.rows,
            columns: CITIZEN_COLUMNS,
            free_text_column: CITIZEN_COLUMNS[pubdata_synth::REMARKS_COLUMN].name,
            spans,
        };
        let json = serde_json::to_vec(&truth).context("cannot encode the ground truth")?;
        super::write_atomically(path, &json)?;
    }
    eprintln!(
        "generated {} rows (seed {}) into {} in {:.2} s{}",
        thousands(written),
        args.seed,
        args.out.display(),
        start.elapsed().as_secs_f64(),
        args.truth
            .as_ref()
            .map(|p| format!("; ground truth in {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}
