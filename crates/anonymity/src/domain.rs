//! Quasi-identifiers encoded against their hierarchies: every hierarchy value gets a leaf id, and
//! every level a table from leaf id to the id of its generalization at that level.

use std::collections::HashMap;

use crate::hierarchy::{Hierarchy, list_values};

/// One quasi-identifier's hierarchy as integer tables.
#[derive(Debug, Clone)]
pub struct QiDomain {
    /// Column name.
    pub name: String,
    /// `labels[level][id]`: the text of generalized value `id` at `level` (level 0: the values).
    pub labels: Vec<Vec<String>>,
    /// `up[level][leaf]`: the id at `level` that leaf `leaf` generalizes to.
    pub up: Vec<Vec<u32>>,
    index: HashMap<String, u32>,
}

impl QiDomain {
    /// Encodes a hierarchy; leaf ids follow the hierarchy's row order.
    pub fn new(name: &str, hierarchy: &Hierarchy) -> QiDomain {
        let rows = hierarchy.rows();
        let height = hierarchy.height();
        let mut labels = vec![Vec::new(); height];
        let mut up = vec![Vec::with_capacity(rows.len()); height];
        for level in 0..height {
            let mut ids: HashMap<&str, u32> = HashMap::new();
            for row in rows {
                let text = row[level].as_str();
                let next = ids.len() as u32;
                let id = *ids.entry(text).or_insert_with(|| {
                    labels[level].push(text.to_string());
                    next
                });
                up[level].push(id);
            }
        }
        let index = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r[0].clone(), i as u32))
            .collect();
        QiDomain {
            name: name.to_string(),
            labels,
            up,
            index,
        }
    }

    /// Number of levels, level 0 included.
    pub fn height(&self) -> usize {
        self.up.len()
    }

    /// Number of hierarchy values (leaves).
    pub fn leaves(&self) -> usize {
        self.up[0].len()
    }

    /// The leaf id of a data value, if the hierarchy has it.
    pub fn encode(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }

    /// The text of `leaf` generalized to `level`.
    pub fn label(&self, leaf: u32, level: usize) -> &str {
        &self.labels[level][self.up[level][leaf as usize] as usize]
    }
}

/// A column's values that its hierarchy lacks, as one error message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: values missing from its hierarchy: {values}")]
pub struct MissingValues {
    /// The column.
    pub column: String,
    /// The values, quoted and abridged.
    pub values: String,
}

impl MissingValues {
    /// Builds the error from the missing values (sorted, without repeats).
    pub fn new(column: &str, mut missing: Vec<String>) -> MissingValues {
        missing.sort();
        missing.dedup();
        let quoted: Vec<String> = missing.iter().map(|v| format!("{v:?}")).collect();
        MissingValues {
            column: column.to_string(),
            values: list_values(&quoted),
        }
    }
}

/// The sensitive attribute's values as ids, in the order given.
#[derive(Debug, Clone, Default)]
pub struct SensitiveDomain {
    /// Column name.
    pub name: String,
    /// The values; an id is a position here.
    pub values: Vec<String>,
    index: HashMap<String, u32>,
}

impl SensitiveDomain {
    /// A domain over `values` in their order.
    pub fn new(name: &str, values: Vec<String>) -> SensitiveDomain {
        let index = values
            .iter()
            .enumerate()
            .map(|(i, v)| (v.clone(), i as u32))
            .collect();
        SensitiveDomain {
            name: name.to_string(),
            values,
            index,
        }
    }

    /// The id of a value, if known.
    pub fn encode(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }

    /// The id of a value, adding it at the end when new.
    pub fn encode_or_add(&mut self, value: &str) -> u32 {
        if let Some(id) = self.index.get(value) {
            return *id;
        }
        let id = self.values.len() as u32;
        self.values.push(value.to_string());
        self.index.insert(value.to_string(), id);
        id
    }
}
