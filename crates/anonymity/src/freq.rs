//! The frequency table: each distinct combination of quasi-identifier leaf ids with its record
//! count and, when a sensitive attribute is set, the counts of its values. Everything the search
//! does runs on this table, so its cost follows distinct combinations, not rows.

use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::FixedState;

use crate::domain::QiDomain;

/// Distinct quasi-identifier combinations with counts.
#[derive(Debug, Clone, Default)]
pub struct FrequencyTable {
    /// Quasi-identifiers per combination.
    pub width: usize,
    /// Leaf ids, `width` per combination.
    pub tuples: Vec<u32>,
    /// Records per combination.
    pub counts: Vec<u64>,
    /// Sensitive value counts per combination, when a sensitive attribute is set.
    pub sensitive: Option<SensitiveCounts>,
}

/// Sensitive value counts per combination, in compressed rows.
#[derive(Debug, Clone, Default)]
pub struct SensitiveCounts {
    /// Distinct sensitive values.
    pub domain: usize,
    /// `offsets[i]..offsets[i+1]` indexes combination `i`'s entries.
    pub offsets: Vec<u32>,
    /// Sensitive value ids.
    pub values: Vec<u32>,
    /// Their counts.
    pub counts: Vec<u64>,
    /// The first record (0-based) holding each entry's value, for orders that depend on arrival.
    pub first: Vec<u64>,
}

impl FrequencyTable {
    /// Number of distinct combinations.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the table has no combinations.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Records in all.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Combination `i`'s leaf ids.
    pub fn tuple(&self, i: usize) -> &[u32] {
        &self.tuples[i * self.width..(i + 1) * self.width]
    }

    /// Orders the combinations by their leaf ids. Neighbouring combinations then mostly fall in
    /// the same classes, so the checks' grouping walks memory in order: on a table that arrives
    /// in hash order (a DataFusion aggregate's) the search runs up to twice as fast.
    pub fn sort_by_combination(&mut self) {
        let w = self.width.max(1);
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        let bits: Vec<u32> = (0..self.width)
            .map(|j| {
                let max = self
                    .tuples
                    .iter()
                    .skip(j)
                    .step_by(w)
                    .max()
                    .copied()
                    .unwrap_or(0);
                u32::BITS - max.leading_zeros()
            })
            .collect();
        if bits.iter().sum::<u32>() <= 64 {
            let mut keyed: Vec<(u64, u32)> = self
                .tuples
                .chunks_exact(w)
                .zip(0u32..)
                .map(|(t, i)| {
                    let key = t.iter().zip(&bits).fold(0u64, |k, (&v, &b)| {
                        k.checked_shl(b).unwrap_or(0) | u64::from(v)
                    });
                    (key, i)
                })
                .collect();
            keyed.sort_unstable();
            order = keyed.into_iter().map(|(_, i)| i).collect();
        } else {
            order.sort_unstable_by(|&a, &b| self.tuple(a as usize).cmp(self.tuple(b as usize)));
        }
        let tuples = order
            .iter()
            .flat_map(|&i| self.tuple(i as usize))
            .copied()
            .collect();
        let counts = order.iter().map(|&i| self.counts[i as usize]).collect();
        if let Some(s) = &self.sensitive {
            let mut sorted = SensitiveCounts {
                domain: s.domain,
                offsets: Vec::with_capacity(s.offsets.len()),
                values: Vec::with_capacity(s.values.len()),
                counts: Vec::with_capacity(s.counts.len()),
                first: Vec::with_capacity(s.first.len()),
            };
            sorted.offsets.push(0);
            for &i in &order {
                let (a, b) = (
                    s.offsets[i as usize] as usize,
                    s.offsets[i as usize + 1] as usize,
                );
                sorted.values.extend_from_slice(&s.values[a..b]);
                sorted.counts.extend_from_slice(&s.counts[a..b]);
                sorted.first.extend_from_slice(&s.first[a..b]);
                sorted.offsets.push(sorted.values.len() as u32);
            }
            self.sensitive = Some(sorted);
        }
        self.tuples = tuples;
        self.counts = counts;
    }
}

/// Builds a [`FrequencyTable`] from records or already aggregated rows.
#[derive(Debug)]
pub struct FrequencyBuilder {
    width: usize,
    sensitive_domain: Option<usize>,
    index: HashMap<Box<[u32]>, u32, FixedState>,
    counts: Vec<u64>,
    tuples: Vec<u32>,
    // Per combination, its sensitive counts and first record; merged into compressed rows.
    sensitive: Vec<HashMap<u32, (u64, u64), FixedState>>,
    records: u64,
}

impl FrequencyBuilder {
    /// A builder for `width` quasi-identifiers; `sensitive_domain` is the number of sensitive
    /// values when a sensitive attribute is set.
    pub fn new(width: usize, sensitive_domain: Option<usize>) -> FrequencyBuilder {
        FrequencyBuilder {
            width,
            sensitive_domain,
            index: HashMap::default(),
            counts: Vec::new(),
            tuples: Vec::new(),
            sensitive: Vec::new(),
            records: 0,
        }
    }

    /// Adds `count` records with leaf ids `tuple` and sensitive value `sensitive`; they arrive
    /// after every record added before.
    pub fn add(&mut self, tuple: &[u32], sensitive: Option<u32>, count: u64) {
        let first = self.records;
        self.records += count;
        debug_assert_eq!(tuple.len(), self.width);
        let i = match self.index.get(tuple) {
            Some(i) => *i as usize,
            None => {
                let i = self.counts.len();
                self.index.insert(tuple.into(), i as u32);
                self.tuples.extend_from_slice(tuple);
                self.counts.push(0);
                if self.sensitive_domain.is_some() {
                    self.sensitive.push(HashMap::default());
                }
                i
            }
        };
        self.counts[i] += count;
        if let (Some(_), Some(s)) = (self.sensitive_domain, sensitive) {
            self.sensitive[i].entry(s).or_insert((0, first)).0 += count;
        }
    }

    /// The table.
    pub fn finish(self) -> FrequencyTable {
        let sensitive = self.sensitive_domain.map(|domain| {
            let mut out = SensitiveCounts {
                domain,
                offsets: Vec::with_capacity(self.sensitive.len() + 1),
                ..Default::default()
            };
            out.offsets.push(0);
            for map in self.sensitive {
                let mut entries: Vec<(u32, (u64, u64))> = map.into_iter().collect();
                entries.sort_unstable();
                for (v, (c, f)) in entries {
                    out.values.push(v);
                    out.counts.push(c);
                    out.first.push(f);
                }
                out.offsets.push(out.values.len() as u32);
            }
            out
        });
        FrequencyTable {
            width: self.width,
            tuples: self.tuples,
            counts: self.counts,
            sensitive,
        }
    }
}

/// The equivalence classes of one transformation.
#[derive(Debug, Clone, Default)]
pub struct Classes {
    /// The class of each combination of the frequency table.
    pub class_of: Vec<u32>,
    /// Records per class.
    pub sizes: Vec<u64>,
    /// One combination of each class, to read its generalized values.
    pub representative: Vec<u32>,
}

/// Groups the table's combinations under `node` (a level per quasi-identifier of `qis`).
pub fn group_under(table: &FrequencyTable, qis: &[QiDomain], node: &[usize]) -> Classes {
    let ups: Vec<&[u32]> = qis
        .iter()
        .zip(node)
        .map(|(q, &l)| q.up[l].as_slice())
        .collect();
    let sizes: Vec<usize> = qis
        .iter()
        .zip(node)
        .map(|(q, &l)| q.labels[l].len())
        .collect();
    groupify(table, &ups, &sizes)
}

/// Bits that hold the ids of a domain of `values` values in a packed key.
pub(crate) fn key_bits(values: usize) -> u32 {
    usize::BITS - values.saturating_sub(1).leading_zeros()
}

/// Groups the table's combinations by their generalization under `ups` (per quasi-identifier,
/// the leaf-to-level table of the transformation) whose level domains have `domain_sizes` values.
pub fn groupify(table: &FrequencyTable, ups: &[&[u32]], domain_sizes: &[usize]) -> Classes {
    let product = domain_sizes
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n.max(1)));
    if let Some(p) = product
        && p <= DENSE_LIMIT
    {
        return groupify_dense(table, ups, domain_sizes);
    }
    let bits: Vec<u32> = domain_sizes.iter().map(|&n| key_bits(n)).collect();
    let total: u32 = bits.iter().sum();
    if total <= 64 {
        groupify_with::<u64>(table, ups, &bits)
    } else if total <= 128 {
        groupify_with::<u128>(table, ups, &bits)
    } else {
        groupify_slices(table, ups)
    }
}

/// Largest key space grouped through a direct-addressed array instead of a hash map.
const DENSE_LIMIT: usize = 1 << 22;

thread_local! {
    // Reused between calls: clearing only the slots used keeps each call proportional to the
    // table, not to the key space.
    static DENSE: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn groupify_dense(table: &FrequencyTable, ups: &[&[u32]], domain_sizes: &[usize]) -> Classes {
    let mut strides = vec![0usize; domain_sizes.len()];
    let mut stride = 1;
    for (s, n) in strides.iter_mut().zip(domain_sizes).rev() {
        *s = stride;
        stride *= (*n).max(1);
    }
    let n = table.len();
    let mut out = Classes {
        class_of: Vec::with_capacity(n),
        ..Default::default()
    };
    let mut keys = Vec::new();
    DENSE.with(|cell| {
        let mut slots = cell.borrow_mut();
        if slots.len() < stride {
            slots.resize(stride, u32::MAX);
        }
        for (i, tuple) in table.tuples.chunks_exact(table.width.max(1)).enumerate() {
            let mut key = 0usize;
            for ((leaf, up), s) in tuple.iter().zip(ups).zip(&strides) {
                key += up[*leaf as usize] as usize * s;
            }
            let mut c = slots[key];
            if c == u32::MAX {
                c = out.sizes.len() as u32;
                slots[key] = c;
                keys.push(key);
                out.sizes.push(0);
                out.representative.push(i as u32);
            }
            out.sizes[c as usize] += table.counts[i];
            out.class_of.push(c);
        }
        for k in keys {
            slots[k] = u32::MAX;
        }
    });
    out
}

fn groupify_with<K>(table: &FrequencyTable, ups: &[&[u32]], bits: &[u32]) -> Classes
where
    K: Copy + Eq + Hash + From<u32> + std::ops::Shl<u32, Output = K> + std::ops::BitOr<Output = K>,
{
    let n = table.len();
    let mut index: HashMap<K, u32, FixedState> =
        HashMap::with_capacity_and_hasher(n.min(1 << 20), FixedState::default());
    let mut out = Classes {
        class_of: Vec::with_capacity(n),
        ..Default::default()
    };
    for (i, tuple) in table.tuples.chunks_exact(table.width.max(1)).enumerate() {
        let mut key = K::from(0u32);
        for ((leaf, up), b) in tuple.iter().zip(ups).zip(bits) {
            key = (key << *b) | K::from(up[*leaf as usize]);
        }
        let next = out.sizes.len() as u32;
        let c = *index.entry(key).or_insert_with(|| {
            out.sizes.push(0);
            out.representative.push(i as u32);
            next
        });
        out.sizes[c as usize] += table.counts[i];
        out.class_of.push(c);
    }
    out
}

fn groupify_slices(table: &FrequencyTable, ups: &[&[u32]]) -> Classes {
    let mut index: HashMap<Vec<u32>, u32, FixedState> = HashMap::default();
    let mut out = Classes::default();
    for (i, tuple) in table.tuples.chunks_exact(table.width.max(1)).enumerate() {
        let key: Vec<u32> = tuple
            .iter()
            .zip(ups)
            .map(|(leaf, up)| up[*leaf as usize])
            .collect();
        let next = out.sizes.len() as u32;
        let c = *index.entry(key).or_insert_with(|| {
            out.sizes.push(0);
            out.representative.push(i as u32);
            next
        });
        out.sizes[c as usize] += table.counts[i];
        out.class_of.push(c);
    }
    out
}

/// Sensitive value counts per class, in compressed rows: `(offsets, values, counts)`.
pub fn class_histograms(table: &FrequencyTable, classes: &Classes) -> Option<SensitiveCounts> {
    let s = table.sensitive.as_ref()?;
    let k = classes.sizes.len();
    // Order combinations by class (counting sort), then sum each class into a dense scratch row.
    let mut start = vec![0u32; k + 1];
    for &c in &classes.class_of {
        start[c as usize + 1] += 1;
    }
    for i in 0..k {
        start[i + 1] += start[i];
    }
    let mut order = vec![0u32; classes.class_of.len()];
    let mut fill = start.clone();
    for (i, &c) in classes.class_of.iter().enumerate() {
        order[fill[c as usize] as usize] = i as u32;
        fill[c as usize] += 1;
    }
    let mut scratch = vec![0u64; s.domain];
    let mut first = vec![u64::MAX; s.domain];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = SensitiveCounts {
        domain: s.domain,
        offsets: Vec::with_capacity(k + 1),
        ..Default::default()
    };
    out.offsets.push(0);
    for c in 0..k {
        for &t in &order[start[c] as usize..start[c + 1] as usize] {
            let (a, b) = (
                s.offsets[t as usize] as usize,
                s.offsets[t as usize + 1] as usize,
            );
            for j in a..b {
                let v = s.values[j] as usize;
                if scratch[v] == 0 {
                    touched.push(v as u32);
                }
                scratch[v] += s.counts[j];
                first[v] = first[v].min(s.first[j]);
            }
        }
        touched.sort_unstable();
        for &v in &touched {
            out.values.push(v);
            out.counts.push(scratch[v as usize]);
            out.first.push(first[v as usize]);
            scratch[v as usize] = 0;
            first[v as usize] = u64::MAX;
        }
        touched.clear();
        out.offsets.push(out.values.len() as u32);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FrequencyTable {
        let mut b = FrequencyBuilder::new(2, Some(3));
        b.add(&[0, 0], Some(0), 1);
        b.add(&[0, 1], Some(1), 2);
        b.add(&[1, 1], Some(2), 1);
        b.add(&[0, 0], Some(2), 1);
        b.finish()
    }

    #[test]
    fn builder_merges_repeated_combinations() {
        let t = table();
        assert_eq!(t.len(), 3);
        assert_eq!(t.counts, vec![2, 2, 1]);
        assert_eq!(t.total(), 5);
        let s = t.sensitive.as_ref().expect("sensitive");
        assert_eq!(&s.values[0..2], &[0, 2]);
    }

    #[test]
    fn sorting_keeps_each_combination_with_its_counts() {
        let mut b = FrequencyBuilder::new(2, Some(3));
        b.add(&[1, 1], Some(2), 1);
        b.add(&[0, 1], Some(1), 2);
        b.add(&[0, 0], Some(0), 1);
        b.add(&[1, 0], Some(2), 3);
        b.add(&[0, 1], Some(0), 1);
        let mut t = b.finish();
        let before = rows(&t);
        t.sort_by_combination();
        let mut after = rows(&t);
        assert!(after.windows(2).all(|p| p[0].0 < p[1].0), "{after:?}");
        let mut expected = before;
        expected.sort();
        after.sort();
        assert_eq!(after, expected);
    }

    /// A combination, its count and its sensitive counts.
    type Row = (Vec<u32>, u64, Vec<(u32, u64)>);

    fn rows(t: &FrequencyTable) -> Vec<Row> {
        let s = t.sensitive.as_ref().expect("sensitive");
        (0..t.len())
            .map(|i| {
                let (a, b) = (s.offsets[i] as usize, s.offsets[i + 1] as usize);
                let h = s.values[a..b]
                    .iter()
                    .copied()
                    .zip(s.counts[a..b].iter().copied());
                (t.tuple(i).to_vec(), t.counts[i], h.collect())
            })
            .collect()
    }

    #[test]
    fn groupify_merges_generalized_combinations() {
        let t = table();
        // First column to one value, second kept.
        let top = [0u32, 0];
        let id = [0u32, 1];
        let c = groupify(&t, &[&top, &id], &[1, 2]);
        assert_eq!(c.sizes, vec![2, 3]);
        assert_eq!(c.class_of, vec![0, 1, 1]);
        let h = class_histograms(&t, &c).expect("sensitive");
        // Class 1 holds sensitive 1 twice and 2 once.
        let (a, b) = (h.offsets[1] as usize, h.offsets[2] as usize);
        assert_eq!(&h.values[a..b], &[1, 2]);
        assert_eq!(&h.counts[a..b], &[2, 1]);
        // The hashed and wide paths give the same classes.
        let wide = groupify_slices(&t, &[&top, &id]);
        assert_eq!(wide.sizes, c.sizes);
        assert_eq!(wide.class_of, c.class_of);
        let hashed = groupify_with::<u64>(&t, &[&top, &id], &[0, 1]);
        assert_eq!(hashed.sizes, c.sizes);
        assert_eq!(hashed.class_of, c.class_of);
    }
}
