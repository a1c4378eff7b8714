//! One DataFusion pass over a table that counts each distinct combination of some columns, with
//! each column's values interned: what `risk` and `anonymize` build their frequency tables from.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;
use pubdata_tables::ReadOptions;

use crate::progress::rows_bar;

/// Distinct combinations of some columns, with counts.
pub struct Grouped {
    /// Per column, its distinct values; a tuple holds positions here.
    pub values: Vec<Vec<String>>,
    /// Positions into `values`, one per column per combination.
    pub tuples: Vec<u32>,
    /// Records per combination.
    pub counts: Vec<u64>,
    /// Records read.
    pub rows: u64,
}

impl Grouped {
    /// Number of columns.
    pub fn width(&self) -> usize {
        self.values.len()
    }
}

/// Reads `path` once and groups it by `columns`.
pub fn group(path: &Path, options: &ReadOptions, columns: &[String]) -> anyhow::Result<Grouped> {
    let reader = pubdata_tables::open(path, options)?;
    let config = datafusion::prelude::SessionConfig::new()
        .with_target_partitions(1)
        .with_batch_size(options.batch_size.max(1));
    let ctx = datafusion::prelude::SessionContext::new_with_config(config);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let rows_read = Arc::new(AtomicU64::new(0));
    let mut index: Vec<HashMap<String, u32>> = vec![HashMap::new(); columns.len()];
    let mut out = Grouped {
        values: vec![Vec::new(); columns.len()],
        tuples: Vec::new(),
        counts: Vec::new(),
        rows: 0,
    };
    let bar = rows_bar(None, "counting");
    let counter = rows_read.clone();
    runtime
        .block_on(pubdata_query::freq::group_counts(
            &ctx,
            reader,
            columns,
            rows_read.clone(),
            |row, count| {
                for (j, v) in row.iter().enumerate() {
                    let id = match index[j].get(*v) {
                        Some(id) => *id,
                        None => {
                            let id = out.values[j].len() as u32;
                            out.values[j].push(v.to_string());
                            index[j].insert(v.to_string(), id);
                            id
                        }
                    };
                    out.tuples.push(id);
                }
                out.counts.push(count);
                bar.set_position(pubdata_query::freq::read(&counter));
            },
        ))
        .with_context(|| path.display().to_string())?;
    bar.finish_and_clear();
    out.rows = pubdata_query::freq::read(&rows_read);
    Ok(out)
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
