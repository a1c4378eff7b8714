//! `pubdata key new --out FILE`: a fresh random key for the keyed operators.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};
use pubdata_deid::keys::{Key, NEW_KEY_BYTES};

/// Manage keys.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Write a fresh random 256-bit key (hex) to FILE, readable by its owner only (mode 0600).
    New(NewArgs),
}

/// Arguments of `pubdata key new`.
#[derive(Args)]
pub struct NewArgs {
    /// Where to write the key; an existing file is never overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs a key subcommand.
pub fn run(cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::New(args) => new(args),
    }
}

fn new(args: NewArgs) -> anyhow::Result<()> {
    if args.out.exists() {
        bail!(
            "{}: exists; a key is never overwritten (data pseudonymized with it could not be linked again)",
            args.out.display()
        );
    }
    let key = Key::generate()?;
    super::write_atomically_with_mode(&args.out, format!("{}\n", key.to_hex()).as_bytes(), 0o600)?;
    eprintln!(
        "wrote a new {}-bit key to {} (mode 0600)",
        NEW_KEY_BYTES * 8,
        args.out.display()
    );
    Ok(())
}
