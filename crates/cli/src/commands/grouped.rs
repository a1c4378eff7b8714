//! The frequency pass `risk`, `anonymize` and `bench anonymize` share, with a progress bar
//! (`pubdata_release::grouped` does the work), and the `--delimiter` parser they share.

use std::path::Path;

use pubdata_release::Input;
use pubdata_release::grouped::Grouped;
use pubdata_tables::ReadOptions;

use crate::progress::{control, rows_bar};

/// Reads `path` once and groups it by `columns`.
pub fn group(path: &Path, options: &ReadOptions, columns: &[String]) -> anyhow::Result<Grouped> {
    let bar = rows_bar(None, "");
    let grouped = pubdata_release::grouped::group(
        &Input::file(path, options.clone()),
        columns,
        &control(&bar),
    );
    bar.finish_and_clear();
    Ok(grouped?)
}

/// Parses `--delimiter`: one ASCII character, or `tab`.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "{s:?}: give one ASCII character, such as ';', or \"tab\""
        )),
    }
}
