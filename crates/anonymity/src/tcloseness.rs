//! Preparing t-closeness ground distances: the whole table's sensitive distribution, the order of
//! the values for the ordered distance, the tree for the hierarchical one.

use std::collections::HashMap;

use crate::config::GroundDistance;
use crate::domain::MissingValues;
use crate::evaluate::Problem;
use crate::hierarchy::Hierarchy;
use crate::models::Distance;

/// The distance of `kind` over the problem's sensitive attribute. The hierarchical distance
/// needs the attribute's hierarchy; every sensitive value must be in it.
pub fn prepare(
    problem: &Problem,
    kind: GroundDistance,
    hierarchy: Option<Hierarchy>,
) -> Result<Distance, String> {
    let (Some(domain), Some(counts)) = (&problem.sensitive, &problem.table.sensitive) else {
        return Err("t-closeness needs a sensitive attribute".into());
    };
    let m = domain.values.len();
    let mut global = vec![0.0; m];
    for (v, c) in counts.values.iter().zip(&counts.counts) {
        global[*v as usize] += *c as f64;
    }
    let n: f64 = global.iter().sum::<f64>().max(1.0);
    for g in &mut global {
        *g /= n;
    }
    Ok(match kind {
        GroundDistance::Equal => Distance::Equal { global },
        GroundDistance::Ordered => {
            let mut order: Vec<u32> = (0..m as u32).collect();
            order.sort_by(|&a, &b| {
                compare_values(&domain.values[a as usize], &domain.values[b as usize])
            });
            Distance::Ordered { global, order }
        }
        GroundDistance::Hierarchical => {
            let h = hierarchy.ok_or("the hierarchical distance needs a hierarchy")?;
            let missing = h.missing(domain.values.iter().map(String::as_str));
            if !missing.is_empty() {
                return Err(MissingValues::new(&domain.name, missing).to_string());
            }
            // Level 0 ids are the sensitive ids; each level above numbers its labels.
            let height = h.levels();
            let mut parent = Vec::with_capacity(height);
            let mut width = vec![m];
            let mut current: Vec<String> = domain.values.clone();
            for level in 1..=height {
                let mut ids: HashMap<String, u32> = HashMap::new();
                let mut up = Vec::with_capacity(current.len());
                let mut next_labels = Vec::new();
                for (i, _) in current.iter().enumerate() {
                    let leaf = &domain.values[first_leaf(&parent, i)];
                    let label = h.get(leaf, level).unwrap_or("*").to_string();
                    let next = ids.len() as u32;
                    let id = *ids.entry(label.clone()).or_insert_with(|| {
                        next_labels.push(label);
                        next
                    });
                    up.push(id);
                }
                width.push(next_labels.len());
                parent.push(up);
                current = next_labels;
            }
            let mut counts_per_value = vec![0u64; m];
            for (v, c) in counts.values.iter().zip(&counts.counts) {
                counts_per_value[*v as usize] += *c;
            }
            Distance::Hierarchical {
                global: counts_per_value,
                parent,
                width,
            }
        }
    })
}

/// A sensitive value under node `i` of the top level built so far (level 0 when `parent` is empty).
fn first_leaf(parent: &[Vec<u32>], i: usize) -> usize {
    // Walk down: find a leaf whose chain of parents reaches `i` at the current top.
    if parent.is_empty() {
        return i;
    }
    (0..parent[0].len())
        .find(|&leaf| {
            let mut id = leaf as u32;
            for up in parent {
                id = up[id as usize];
            }
            id as usize == i
        })
        .unwrap_or(0)
}

/// Numbers compare as numbers; text by UTF-16 code units, as ARX's default string type does.
fn compare_values(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.encode_utf16().cmp(b.encode_utf16()),
    }
}
