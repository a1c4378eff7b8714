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
use std::os::unix::fs::PermissionsExt;
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
    // Dropped on any failure, the temporary file removes itself.
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".tmp")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)?;
        tmp.write_all(contents)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
}
