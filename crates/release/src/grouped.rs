//! One DataFusion pass over a table that counts each distinct combination of some columns, with
//! each column's values interned: what `risk` and `anonymize` build their frequency tables from.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::{Control, Input, ReleaseError};

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

/// Reads `input` once and groups it by `columns`.
pub fn group(
    input: &Input,
    columns: &[String],
    control: &Control,
) -> Result<Grouped, ReleaseError> {
    let reader = input.open()?;
    let config = datafusion::prelude::SessionConfig::new()
        .with_target_partitions(1)
        .with_batch_size(input.options().batch_size.max(1));
    let ctx = datafusion::prelude::SessionContext::new_with_config(config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(ReleaseError::invalid)?;
    let rows_read = Arc::new(AtomicU64::new(0));
    let mut index: Vec<HashMap<String, u32>> = vec![HashMap::new(); columns.len()];
    let mut out = Grouped {
        values: vec![Vec::new(); columns.len()],
        tuples: Vec::new(),
        counts: Vec::new(),
        rows: 0,
    };
    let counter = rows_read.clone();
    control.report("counting", 0);
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
                control.report("counting", pubdata_query::freq::read(&counter));
            },
        ))
        .map_err(|e| ReleaseError::invalid(format!("{}: {e}", input.label())))?;
    control.check()?;
    out.rows = pubdata_query::freq::read(&rows_read);
    Ok(out)
}
