//! Building all-string record batches row by row, and naming their columns.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::TableError;

/// Whether two schemas have the same columns: names and types, in order (nullability and
/// metadata aside). A dataset's parts must agree on this to be read as one table.
pub fn same_columns(a: &Schema, b: &Schema) -> bool {
    a.fields().len() == b.fields().len()
        && a.fields()
            .iter()
            .zip(b.fields())
            .all(|(x, y)| x.name() == y.name() && x.data_type() == y.data_type())
}

/// Makes header names usable as Arrow field names.
///
/// * an empty (or missing) name at 0-based position `i` becomes `column_{i+1}`;
/// * a name already taken gets `_2`, `_3`, ... appended (the first unused one),
///   so `a,a,a` becomes `a,a_2,a_3`.
///
/// Names are otherwise kept verbatim (no trimming): they are user data.
pub fn unique_column_names<I>(raw: I) -> Vec<String>
where
    I: IntoIterator<Item = Option<String>>,
{
    let mut used = HashSet::new();
    let mut out = Vec::new();
    for (i, name) in raw.into_iter().enumerate() {
        let base = match name {
            Some(n) if !n.is_empty() => n,
            _ => format!("column_{}", i + 1),
        };
        let mut candidate = base.clone();
        let mut k = 2;
        while used.contains(&candidate) {
            candidate = format!("{base}_{k}");
            k += 1;
        }
        used.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

/// Schema of nullable Utf8 columns with the given names.
pub(crate) fn string_schema(names: Vec<String>) -> SchemaRef {
    Arc::new(Schema::new(
        names
            .into_iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// Accumulates up to one batch of string rows.
pub(crate) struct StringBatchBuilder {
    schema: SchemaRef,
    columns: Vec<StringBuilder>,
    rows: usize,
    capacity: usize,
}

impl StringBatchBuilder {
    pub(crate) fn new(schema: SchemaRef, capacity: usize) -> Self {
        let columns = Self::fresh_columns(schema.fields().len(), capacity);
        StringBatchBuilder {
            schema,
            columns,
            rows: 0,
            capacity,
        }
    }

    fn fresh_columns(n: usize, capacity: usize) -> Vec<StringBuilder> {
        // Capacity is a hint only; cap it so a huge batch_size does not
        // pre-allocate gigabytes for a ten-row file.
        let rows = capacity.min(16 * 1024);
        (0..n)
            .map(|_| StringBuilder::with_capacity(rows, rows * 8))
            .collect()
    }

    /// Number of rows appended since the last `finish`.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Appends one row; the caller guarantees one value per column.
    /// Empty strings are stored as null (see crate docs).
    pub(crate) fn append_row<'a, I>(&mut self, values: I)
    where
        I: IntoIterator<Item = Option<&'a str>>,
    {
        for (col, value) in self.columns.iter_mut().zip(values) {
            match value {
                Some(v) if !v.is_empty() => col.append_value(v),
                _ => col.append_null(),
            }
        }
        self.rows += 1;
    }

    /// Emits the accumulated rows as a batch and starts a new one.
    /// The iterator step of the text readers: after `filled` (the result of filling this builder),
    /// the batch to yield, or `None` at the end. Sets `done` at the end and after an error.
    pub(crate) fn next_batch(
        &mut self,
        filled: Result<(), TableError>,
        done: &mut bool,
        file: &str,
    ) -> Option<Result<RecordBatch, TableError>> {
        match filled {
            Ok(()) if self.rows == 0 => {
                *done = true;
                None
            }
            Ok(()) => Some(self.finish(file)),
            Err(e) => {
                *done = true;
                Some(Err(e))
            }
        }
    }

    pub(crate) fn finish(&mut self, file: &str) -> Result<RecordBatch, TableError> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|c| Arc::new(c.finish()) as ArrayRef)
            .collect();
        let rows = std::mem::take(&mut self.rows);
        // Explicit row count so that zero-column batches (JSON `{}`) still
        // carry their number of rows.
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options).map_err(|e| {
            TableError::Arrow {
                file: file.to_string(),
                message: crate::error::one_line(&e.to_string()),
            }
        })
    }

    /// Capacity hint this builder was created with (the batch size).
    pub(crate) fn batch_size(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_nonempty() {
        let got = unique_column_names(
            ["a", "", "a", "a_2", "b"]
                .iter()
                .map(|s| Some(s.to_string()))
                .chain([None]),
        );
        assert_eq!(got, ["a", "column_2", "a_2", "a_2_2", "b", "column_6"]);
    }
}
