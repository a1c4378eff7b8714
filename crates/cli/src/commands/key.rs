//! `pubdata key new --out FILE`: a fresh random key for the keyed operators.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use anyhow::{Context, bail};
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
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = args
        .out
        .file_name()
        .with_context(|| format!("{}: not a file path", args.out.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    // The file is created 0600 from the start, so the key is never readable by others, not even briefly.
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        writeln!(f, "{}", key.to_hex())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &args.out)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write key", args.out.display()));
    }
    eprintln!(
        "wrote a new {}-bit key to {} (mode 0600)",
        NEW_KEY_BYTES * 8,
        args.out.display()
    );
    Ok(())
}
