//! One module per subcommand: parse arguments, call the library crates, print.

pub mod anonymize;
pub mod arx_check;
pub mod bench;
pub mod bench_anonymize;
pub mod bench_deid;
pub mod datasets;
pub mod deid;
pub mod generate;
pub mod grouped;
pub mod key;
pub mod platform;
pub mod policy;
pub mod reidentify;
pub mod risk;
pub mod scan;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;

/// Writes `contents` to `path` through a temporary file in the same folder, so that a reader never
/// sees half a file and a failed run leaves the old file (or none) in place.
pub fn write_atomically(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    write_atomically_with_mode(path, contents, 0o666)
}

/// [`write_atomically`] with the file created under `mode` (before the umask) from the start, so a
/// secret written 0600 is never readable by others, not even briefly.
pub fn write_atomically_with_mode(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("{}: cannot write: {e}", path.display())
    })
}
