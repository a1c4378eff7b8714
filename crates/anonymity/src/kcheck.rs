//! A quick refutation of k-anonymity: most transformations a search checks fail because too many
//! records sit in small classes, and that shows long before every combination is grouped.
//!
//! The frequency table's rows are ordered once by one quasi-identifier's hierarchy, so that at any
//! level the rows sharing its generalized value are contiguous. A class never spans two such runs
//! (its key includes that value), so the runs can be grouped one chunk at a time: after each chunk
//! its classes are complete, their small records are counted, and the check stops as soon as they
//! exceed the suppression limit.

use std::collections::HashMap;
use std::sync::OnceLock;

use foldhash::fast::FixedState;

use crate::domain::QiDomain;
use crate::freq::{FrequencyTable, key_bits};

/// Rows grouped per chunk before the small classes are counted: enough to amortize a pass over
/// the chunk's classes, few enough to stop early.
const CHUNK_ROWS: usize = 256;

/// Largest table the orders are built for (each costs 4 bytes a row per quasi-identifier).
const MAX_ROWS: usize = 1 << 24;

/// The table's rows in one quasi-identifier's hierarchy order, with the runs at every level.
#[derive(Debug)]
struct Order {
    rows: Vec<u32>,
    /// `runs[level]`: the row ranges sharing a generalized value, fewest records first (rare
    /// values hold most small classes, so a failing check shows soonest).
    runs: Vec<Vec<(u32, u32)>>,
}

/// Orders of the table's rows, built per quasi-identifier on first use.
#[derive(Debug)]
pub(crate) struct Refuter {
    orders: Vec<OnceLock<Order>>,
    bits: Vec<Vec<u32>>,
    chunk_rows: usize,
}

/// What a refutation found.
#[derive(Debug)]
pub(crate) enum Refutation {
    /// Records in small classes already exceed the limit: at least `small`, found grouping `rows`.
    Fails { small: u64, rows: u64 },
    /// Every row was grouped (`rows`) and the records in small classes, `small`, are within the
    /// limit.
    Within { small: u64, rows: u64 },
    /// The quick check does not apply (no size limit, too wide a key, nothing to split on).
    NotApplicable,
}

impl Refuter {
    /// Prepares (lazily) the orders for `table` over `qis`.
    pub(crate) fn new(qis: &[QiDomain]) -> Refuter {
        Refuter {
            orders: qis.iter().map(|_| OnceLock::new()).collect(),
            bits: qis
                .iter()
                .map(|q| q.labels.iter().map(|l| key_bits(l.len())).collect())
                .collect(),
            chunk_rows: CHUNK_ROWS,
        }
    }

    /// Whether the records in classes smaller than `min_class` under `node` exceed `limit`.
    pub(crate) fn refute(
        &self,
        table: &FrequencyTable,
        qis: &[QiDomain],
        node: &[usize],
        min_class: u64,
        limit: u64,
    ) -> Refutation {
        if min_class <= 1 || table.len() > MAX_ROWS || table.is_empty() {
            return Refutation::NotApplicable;
        }
        let total_bits: u32 = node.iter().enumerate().map(|(j, &l)| self.bits[j][l]).sum();
        if total_bits > 64 {
            return Refutation::NotApplicable;
        }
        // Split on the quasi-identifier with the most values at its level: the finest runs.
        let Some((j, _)) = qis
            .iter()
            .zip(node)
            .enumerate()
            .map(|(j, (q, &l))| (j, q.labels[l].len()))
            .max_by_key(|&(j, n)| (n, std::cmp::Reverse(j)))
        else {
            return Refutation::NotApplicable;
        };
        if qis[j].labels[node[j]].len() < 2 {
            return Refutation::NotApplicable;
        }
        let order = self.orders[j].get_or_init(|| Order::new(table, &qis[j], j));
        let ups: Vec<&[u32]> = qis
            .iter()
            .zip(node)
            .map(|(q, &l)| q.up[l].as_slice())
            .collect();
        let bits: Vec<u32> = node
            .iter()
            .enumerate()
            .map(|(j, &l)| self.bits[j][l])
            .collect();
        let width = table.width;
        let mut sizes: HashMap<u64, u64, FixedState> =
            HashMap::with_capacity_and_hasher(self.chunk_rows * 2, FixedState::default());
        let mut small = 0u64;
        let mut pending = 0usize;
        let mut seen = 0u64;
        let runs = &order.runs[node[j]];
        for (i, &(start, end)) in runs.iter().enumerate() {
            for &r in &order.rows[start as usize..end as usize] {
                let r = r as usize;
                let tuple = &table.tuples[r * width..(r + 1) * width];
                let mut key = 0u64;
                for ((leaf, up), b) in tuple.iter().zip(&ups).zip(&bits) {
                    key = (key << *b) | u64::from(up[*leaf as usize]);
                }
                *sizes.entry(key).or_insert(0) += table.counts[r];
            }
            pending += (end - start) as usize;
            seen += u64::from(end - start);
            if pending < self.chunk_rows && i + 1 < runs.len() {
                continue;
            }
            small += sizes.values().filter(|&&s| s < min_class).sum::<u64>();
            if small > limit {
                return Refutation::Fails { small, rows: seen };
            }
            sizes.clear();
            pending = 0;
        }
        Refutation::Within {
            small,
            rows: order.rows.len() as u64,
        }
    }
}

impl Order {
    /// Orders the table's rows by column `column`'s leaves in hierarchy order.
    fn new(table: &FrequencyTable, qi: &QiDomain, column: usize) -> Order {
        let height = qi.height();
        let mut leaves: Vec<u32> = (0..qi.leaves() as u32).collect();
        // Top level first, so that every level's groups are contiguous (the levels nest).
        leaves.sort_by(|&a, &b| {
            (1..height)
                .rev()
                .map(|l| qi.up[l][a as usize].cmp(&qi.up[l][b as usize]))
                .find(|o| o.is_ne())
                .unwrap_or(a.cmp(&b))
        });
        let mut rank = vec![0u32; leaves.len()];
        for (i, &leaf) in leaves.iter().enumerate() {
            rank[leaf as usize] = i as u32;
        }
        // Counting sort of the rows by their leaf's rank.
        let width = table.width;
        let mut starts = vec![0u32; leaves.len() + 1];
        let mut records = vec![0u64; leaves.len()];
        for (t, &c) in table.tuples.chunks_exact(width).zip(&table.counts) {
            let k = rank[t[column] as usize] as usize;
            starts[k + 1] += 1;
            records[k] += c;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut rows = vec![0u32; table.len()];
        let mut next = starts.clone();
        for (r, t) in table.tuples.chunks_exact(width).enumerate() {
            let slot = &mut next[rank[t[column] as usize] as usize];
            rows[*slot as usize] = r as u32;
            *slot += 1;
        }
        // A run per generalized value: consecutive leaves (in rank order) that share it.
        let runs = (0..height)
            .map(|l| {
                let mut runs: Vec<(u32, u32, u64)> = Vec::new();
                let mut previous = None;
                for (k, &leaf) in leaves.iter().enumerate() {
                    if starts[k] == starts[k + 1] {
                        continue;
                    }
                    let value = qi.up[l][leaf as usize];
                    match runs.last_mut() {
                        Some(last) if previous == Some(value) => {
                            last.1 = starts[k + 1];
                            last.2 += records[k];
                        }
                        _ => runs.push((starts[k], starts[k + 1], records[k])),
                    }
                    previous = Some(value);
                }
                runs.sort_by_key(|&(start, _, records)| (records, start));
                runs.into_iter().map(|(a, b, _)| (a, b)).collect()
            })
            .collect();
        Order { rows, runs }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::freq::{FrequencyBuilder, group_under};
    use crate::hierarchy::build;

    fn problem(rows: &[(u8, u8, u8)]) -> (Vec<QiDomain>, FrequencyTable) {
        let cols: Vec<Vec<String>> = (0..3)
            .map(|j| {
                rows.iter()
                    .map(|r| format!("{:03}", [r.0, r.1, r.2][j]))
                    .collect()
            })
            .collect();
        let qis: Vec<QiDomain> = cols
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let h = build::masking(c.iter().map(String::as_str), &[2, 1]).expect("hierarchy");
                QiDomain::new(&format!("q{j}"), &h)
            })
            .collect();
        let mut b = FrequencyBuilder::new(3, None);
        for i in 0..rows.len() {
            let t: Vec<u32> = qis
                .iter()
                .zip(&cols)
                .map(|(q, c)| q.encode(&c[i]).expect("in"))
                .collect();
            b.add(&t, None, 1);
        }
        (qis, b.finish())
    }

    fn small_records(qis: &[QiDomain], table: &FrequencyTable, node: &[usize], k: u64) -> u64 {
        group_under(table, qis, node)
            .sizes
            .iter()
            .filter(|&&s| s < k)
            .sum()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// A refutation is exact: it refutes exactly when the records in small classes exceed
        /// the limit, whatever the chunking, and never claims more small records than there are.
        #[test]
        fn refutes_exactly_the_transformations_that_fail(
            rows in prop::collection::vec((0u8..60, 0u8..30, 0u8..12), 1..300),
            node in (0usize..4, 0usize..4, 0usize..4),
            k in 2u64..8,
            limit in 0u64..40,
            chunk_rows in 1usize..64,
        ) {
            let (qis, table) = problem(&rows);
            let node = [node.0 % qis[0].height(), node.1 % qis[1].height(), node.2 % qis[2].height()];
            let mut refuter = Refuter::new(&qis);
            refuter.chunk_rows = chunk_rows;
            let truth = small_records(&qis, &table, &node, k);
            match refuter.refute(&table, &qis, &node, k, limit) {
                Refutation::Fails { small, rows } => {
                    prop_assert!(truth > limit, "refuted with {truth} small records, limit {limit}");
                    prop_assert!(small > limit && small <= truth);
                    prop_assert!(rows <= table.len() as u64);
                }
                Refutation::Within { small, rows } => {
                    prop_assert!(truth <= limit, "missed {truth} small records, limit {limit}");
                    prop_assert_eq!(small, truth);
                    prop_assert_eq!(rows, table.len() as u64);
                }
                Refutation::NotApplicable => {
                    // Only a single value at every level leaves nothing to split on.
                    prop_assert!(qis.iter().zip(&node).all(|(q, &l)| q.labels[l].len() < 2));
                }
            }
        }
    }

    #[test]
    fn stops_before_the_whole_table_when_rare_values_fail() {
        // 300 records share one value; 40 rare values each hold a single record.
        let mut rows: Vec<(u8, u8, u8)> = (0..300).map(|i| (1, (i % 3) as u8, 0)).collect();
        rows.extend((0..40).map(|i| (10 + i as u8, 0, 0)));
        let (qis, table) = problem(&rows);
        let mut refuter = Refuter::new(&qis);
        refuter.chunk_rows = 4;
        match refuter.refute(&table, &qis, &[0, 0, 0], 2, 10) {
            Refutation::Fails { small, rows } => {
                assert!(small > 10);
                assert!(
                    rows < table.len() as u64,
                    "grouped {rows} of {}",
                    table.len()
                );
            }
            other => panic!("40 singletons exceed a limit of 10, got {other:?}"),
        }
    }
}
