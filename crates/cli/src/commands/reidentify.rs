//! `pubdata reidentify`: reverse `encrypt_fpe` for the key holder (`pubdata_release::reidentify`
//! does the work). Every column the policy encrypted is decrypted; all other columns are copied.

use std::path::PathBuf;

use clap::Args;
use pubdata_release::{Input, Output, PolicySource};
use pubdata_tables::ReadOptions;

use crate::progress::{control, rows_bar, thousands};

/// Arguments of `pubdata reidentify`.
#[derive(Args)]
pub struct ReidentifyArgs {
    /// The policy the table was de-identified with (it names the key and the encrypted columns).
    #[arg(long)]
    pub policy: PathBuf,
    /// The de-identified table.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the table with the encrypted columns decrypted (.csv, .tsv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs `pubdata reidentify`.
pub fn run(args: ReidentifyArgs) -> anyhow::Result<()> {
    super::refuse_overwriting(
        &[("--in", &args.input), ("--policy", &args.policy)],
        &[("--out", Some(&args.out))],
    )?;
    let policy = PolicySource::read(&args.policy)?;
    let input = Input::file(&args.input, ReadOptions::default());
    let bar = rows_bar(None, "");
    let done = pubdata_release::reidentify::reidentify(
        &policy,
        &input,
        &Output::File(args.out.clone()),
        &control(&bar),
    );
    bar.finish_and_clear();
    let done = done?;
    eprintln!(
        "decrypted {} values in {} columns of {} rows; written to {}",
        thousands(done.values),
        done.columns,
        thousands(done.rows),
        args.out.display()
    );
    Ok(())
}
