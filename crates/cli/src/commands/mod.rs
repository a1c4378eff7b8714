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
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

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

/// What makes two paths the same file: its device and inode once it exists (links followed,
/// hard links included), else where it would be created.
#[derive(PartialEq)]
enum FileKey {
    Inode(u64, u64),
    Planned(PathBuf),
}

fn file_key(path: &Path) -> FileKey {
    if let Ok(m) = std::fs::metadata(path) {
        return FileKey::Inode(m.dev(), m.ino());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    FileKey::Planned(dir.join(path.file_name().unwrap_or_default()))
}

/// Refuses, before anything is read, a run that would write over one of its inputs or write two
/// of its outputs to one file: `--out` naming the `--in` file (or a link to it) would destroy
/// the data being transformed.
pub fn refuse_overwriting(
    inputs: &[(&str, &Path)],
    outputs: &[(&str, Option<&Path>)],
) -> anyhow::Result<()> {
    let outputs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|(flag, p)| p.map(|p| (*flag, p)))
        .collect();
    for (i, (out_flag, out)) in outputs.iter().enumerate() {
        let key = file_key(out);
        for (in_flag, input) in inputs {
            if file_key(input) == key {
                anyhow::bail!(
                    "{out_flag} {} is the same file as {in_flag} {}: writing it would destroy the input; name another file",
                    out.display(),
                    input.display()
                );
            }
        }
        for (other_flag, other) in &outputs[i + 1..] {
            if file_key(other) == key {
                anyhow::bail!(
                    "{out_flag} {} and {other_flag} {} are the same file: name two files",
                    out.display(),
                    other.display()
                );
            }
        }
    }
    Ok(())
}
