//! Quality metrics, defined as ARX defines them so that optima and scores agree with it:
//! Loss (domain share, geometric mean), non-uniform entropy, discernibility, precision and average
//! class size. Lower is better. Per-attribute values are truncated to 10 decimals where ARX does.

use crate::config::Metric;
use crate::domain::QiDomain;
use crate::freq::{Classes, FrequencyTable};

/// Truncation to 10 decimals, toward negative infinity, as ARX stores per-attribute losses.
pub fn truncate10(x: f64) -> f64 {
    (x * 1e10).floor() / 1e10
}

/// Per quasi-identifier facts the metrics read: value counts and domain shares per level.
#[derive(Debug, Clone)]
pub struct MetricContext {
    /// Records in the table.
    pub n: u64,
    /// `heights[j]`: levels of quasi-identifier `j`, level 0 included.
    heights: Vec<usize>,
    /// `entropy[j][level]`: non-uniform entropy of attribute `j` at `level` over all records.
    entropy: Vec<Vec<f64>>,
    /// `share[j][level][id]`: hierarchy rows under generalized value `id`, over all rows.
    share: Vec<Vec<Vec<f64>>>,
    /// `covered[j][level]`: Σ over records of the share of their generalized value.
    covered: Vec<Vec<f64>>,
    /// Hierarchy rows per attribute.
    rows: Vec<usize>,
}

impl MetricContext {
    /// Counts values in `table` and measures shares in the hierarchies.
    pub fn new(qis: &[QiDomain], table: &FrequencyTable) -> MetricContext {
        let n = table.total();
        let mut entropy = Vec::with_capacity(qis.len());
        let mut share = Vec::with_capacity(qis.len());
        let mut covered = Vec::with_capacity(qis.len());
        for (j, qi) in qis.iter().enumerate() {
            let mut a = vec![0u64; qi.leaves()];
            for (i, &c) in table.counts.iter().enumerate() {
                a[table.tuples[i * table.width + j] as usize] += c;
            }
            let rows = qi.leaves() as f64;
            let mut ent_j = Vec::with_capacity(qi.height());
            let mut share_j = Vec::with_capacity(qi.height());
            let mut cov_j = Vec::with_capacity(qi.height());
            for level in 0..qi.height() {
                let up = &qi.up[level];
                let mut b = vec![0u64; qi.labels[level].len()];
                let mut under = vec![0u64; qi.labels[level].len()];
                for (leaf, &g) in up.iter().enumerate() {
                    b[g as usize] += a[leaf];
                    under[g as usize] += 1;
                }
                let mut raw = 0.0;
                let mut cov = 0.0;
                let s: Vec<f64> = under.iter().map(|&u| u as f64 / rows).collect();
                for (leaf, &g) in up.iter().enumerate() {
                    if a[leaf] > 0 {
                        let (av, bv) = (a[leaf] as f64, b[g as usize] as f64);
                        raw += av * (av / bv).log2();
                        cov += av * s[g as usize];
                    }
                }
                ent_j.push(if raw == 0.0 { 0.0 } else { -raw });
                share_j.push(s);
                cov_j.push(cov);
            }
            entropy.push(ent_j);
            share.push(share_j);
            covered.push(cov_j);
        }
        MetricContext {
            n,
            heights: qis.iter().map(QiDomain::height).collect(),
            entropy,
            share,
            covered,
            rows: qis.iter().map(QiDomain::leaves).collect(),
        }
    }

    /// The metric's value where it needs no classes, or its lower bound otherwise: a node whose
    /// bound is not below the best score so far cannot improve on it.
    pub fn lower_bound(&self, metric: &Metric, node: &[usize]) -> f64 {
        match *metric {
            Metric::Loss { gs_factor } => {
                let (g, _) = factors(gs_factor);
                let per: Vec<f64> = (0..node.len())
                    .map(|j| self.normalize_loss(j, self.covered[j][node[j]] * g, g))
                    .collect();
                geometric_mean(&per)
            }
            Metric::NonUniformEntropy { .. } => self.entropy_sum(node),
            Metric::Precision { .. } => self.precision(node, 0, 1.0),
            // Every class has at least one record: Σ|E|² ≥ n; n / classes ≥ 1.
            Metric::Discernibility { .. } => self.n as f64,
            Metric::AverageClassSize => 1.0,
        }
    }

    /// [`MetricContext::lower_bound`] of many nodes; for Loss the per-level factors of the
    /// geometric mean are taken once instead of once per node (same products, same bits).
    pub fn lower_bounds(&self, metric: &Metric, nodes: &[Vec<usize>]) -> Vec<f64> {
        let Metric::Loss { gs_factor } = *metric else {
            return nodes.iter().map(|n| self.lower_bound(metric, n)).collect();
        };
        let (g, _) = factors(gs_factor);
        let d = self.heights.len() as f64;
        let roots: Vec<Vec<f64>> = (0..self.heights.len())
            .map(|j| {
                (0..self.heights[j])
                    .map(|l| {
                        (self.normalize_loss(j, self.covered[j][l] * g, g) + 1.0).powf(1.0 / d)
                    })
                    .collect()
            })
            .collect();
        nodes
            .iter()
            .map(|node| {
                let mut r = 1.0;
                for (j, &l) in node.iter().enumerate() {
                    r *= roots[j][l];
                }
                r - 1.0
            })
            .collect()
    }

    /// Whether [`MetricContext::lower_bound`] is the exact score when no record is suppressed:
    /// Loss, entropy and precision then depend only on each column's values and level.
    pub fn exact_without_suppression(metric: &Metric) -> bool {
        matches!(
            metric,
            Metric::Loss { .. } | Metric::NonUniformEntropy { .. } | Metric::Precision { .. }
        )
    }

    /// Whether the metric's value depends on the classes (and so needs a groupify).
    pub fn needs_classes(metric: &Metric) -> bool {
        !matches!(
            metric,
            Metric::NonUniformEntropy { monotonic: true } | Metric::Precision { monotonic: true }
        )
    }

    fn entropy_sum(&self, node: &[usize]) -> f64 {
        node.iter()
            .enumerate()
            .map(|(j, &l)| truncate10(self.entropy[j][l]))
            .sum()
    }

    fn normalize_loss(&self, j: usize, raw: f64, g: f64) -> f64 {
        let n = self.n as f64;
        let min = g * n / self.rows[j] as f64;
        truncate10(((raw - min) / (n - min)).max(0.0))
    }

    fn precision(&self, node: &[usize], suppressed: u64, s_factor: f64) -> f64 {
        let n = self.n.max(1) as f64;
        let kept = (self.n - suppressed) as f64;
        let d = node.len() as f64;
        node.iter()
            .enumerate()
            .map(|(j, &l)| {
                let h = self.heights[j] - 1;
                let p = if h == 0 { 0.0 } else { l as f64 / h as f64 };
                let v = if suppressed == 0 {
                    p
                } else {
                    (kept * p + suppressed as f64 * s_factor) / n
                };
                v / d
            })
            .sum()
    }

    /// The metric's score of `node`, whose `classes` are flagged `suppressed`.
    pub fn score(
        &self,
        metric: &Metric,
        node: &[usize],
        table: &FrequencyTable,
        qis: &[QiDomain],
        classes: &Classes,
        suppressed: &[bool],
    ) -> f64 {
        let n = self.n as f64;
        let suppressed_records: u64 = classes
            .sizes
            .iter()
            .zip(suppressed)
            .filter(|(_, s)| **s)
            .map(|(c, _)| c)
            .sum();
        match *metric {
            Metric::NonUniformEntropy { monotonic: true } => self.entropy_sum(node),
            Metric::NonUniformEntropy { monotonic: false } => {
                if suppressed_records == 0 {
                    return self.entropy_sum(node);
                }
                let ns = suppressed_records as f64;
                (0..node.len())
                    .map(|j| {
                        // Entropy of the suppressed records' generalized values in column j.
                        let up = &qis[j].up[node[j]];
                        let mut counts = vec![0u64; qis[j].labels[node[j]].len()];
                        for (c, _) in suppressed.iter().enumerate().filter(|(_, s)| **s) {
                            let leaf = table.tuple(classes.representative[c] as usize)[j];
                            counts[up[leaf as usize] as usize] += classes.sizes[c];
                        }
                        let sup: f64 = counts
                            .iter()
                            .filter(|c| **c > 0)
                            .map(|&c| c as f64 * (c as f64 / ns).log2())
                            .sum();
                        let generalized = -self.entropy[j][node[j]];
                        let raw = generalized + sup;
                        truncate10(if raw == 0.0 { 0.0 } else { -raw })
                    })
                    .sum()
            }
            Metric::Discernibility { monotonic } => classes
                .sizes
                .iter()
                .zip(suppressed)
                .map(|(&s, &sup)| {
                    let s = s as f64;
                    if sup && !monotonic { n * s } else { s * s }
                })
                .sum(),
            Metric::Loss { gs_factor } => geometric_mean(
                &self.loss_per_attribute(gs_factor, node, table, qis, classes, suppressed),
            ),
            Metric::Precision { monotonic: true } => self.precision(node, 0, 1.0),
            Metric::Precision { monotonic: false } => self.precision(node, suppressed_records, 1.0),
            Metric::AverageClassSize => {
                let kept = suppressed.iter().filter(|s| !**s).count() as f64;
                let groups = kept + if suppressed_records > 0 { 1.0 } else { 0.0 };
                n / groups.max(1.0)
            }
        }
    }
}

impl MetricContext {
    /// ARX's Loss per quasi-identifier, 0 (values kept) to 1 (all generalized to `*` or
    /// suppressed).
    pub fn loss_per_attribute(
        &self,
        gs_factor: f64,
        node: &[usize],
        table: &FrequencyTable,
        qis: &[QiDomain],
        classes: &Classes,
        suppressed: &[bool],
    ) -> Vec<f64> {
        let (g, sf) = factors(gs_factor);
        (0..node.len())
            .map(|j| {
                let up = &qis[j].up[node[j]];
                let share = &self.share[j][node[j]];
                let mut raw = self.covered[j][node[j]] * g;
                for (c, _) in suppressed.iter().enumerate().filter(|(_, s)| **s) {
                    let leaf = table.tuple(classes.representative[c] as usize)[j];
                    let size = classes.sizes[c] as f64;
                    let s = size * share[up[leaf as usize] as usize];
                    raw -= s * g;
                    raw += if sf == 1.0 { size } else { s + sf * (size - s) };
                }
                self.normalize_loss(j, raw, g)
            })
            .collect()
    }
}

/// ARX's generalization and suppression factors from the gs-factor.
fn factors(gs: f64) -> (f64, f64) {
    let s = if gs < 0.5 { 2.0 * gs } else { 1.0 };
    let g = if gs <= 0.5 {
        1.0
    } else {
        1.0 - 2.0 * (gs - 0.5)
    };
    (g, s)
}

/// `Π (v+1)^(1/d) − 1`, accumulated as ARX does so that scores agree to the last bits.
pub fn geometric_mean(values: &[f64]) -> f64 {
    let d = values.len() as f64;
    let mut r = 1.0;
    for v in values {
        r *= (v + 1.0).powf(1.0 / d);
    }
    r - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_goes_down_to_ten_decimals() {
        assert_eq!(truncate10(0.123456789019), 0.123456789);
        assert_eq!(truncate10(2.0), 2.0);
    }

    #[test]
    fn lower_bounds_of_many_nodes_equal_each_node_s_bound_to_the_bit() {
        let values = ["1234", "1235", "1299", "5678", "5600"];
        let h = crate::hierarchy::build::masking(values, &[3, 2, 1]).expect("hierarchy");
        let qis: Vec<crate::domain::QiDomain> = (0..3)
            .map(|j| crate::domain::QiDomain::new(&format!("q{j}"), &h))
            .collect();
        let mut b = crate::freq::FrequencyBuilder::new(3, None);
        for (i, v) in values.iter().enumerate() {
            let w = values[(i + 2) % values.len()];
            let t = [qis[0].encode(v), qis[1].encode(w), qis[2].encode(v)];
            b.add(&t.map(|x| x.expect("in")), None, 1 + i as u64);
        }
        let context = MetricContext::new(&qis, &b.finish());
        let lattice = crate::lattice::Lattice::new(&[qis[0].height(); 3]);
        let nodes: Vec<Vec<usize>> = (0..lattice.size()).map(|id| lattice.levels(id)).collect();
        for metric in [
            Metric::Loss { gs_factor: 0.5 },
            Metric::Loss { gs_factor: 0.1 },
        ] {
            let many = context.lower_bounds(&metric, &nodes);
            for (node, bound) in nodes.iter().zip(many) {
                assert_eq!(
                    bound.to_bits(),
                    context.lower_bound(&metric, node).to_bits()
                );
            }
        }
    }

    #[test]
    fn without_suppression_the_bound_is_the_score_to_the_bit() {
        let values = ["1234", "1235", "1299", "5678", "5600", "5611"];
        let h = crate::hierarchy::build::masking(values, &[3, 2, 1]).expect("hierarchy");
        let qis: Vec<crate::domain::QiDomain> = (0..2)
            .map(|j| crate::domain::QiDomain::new(&format!("q{j}"), &h))
            .collect();
        let mut b = crate::freq::FrequencyBuilder::new(2, None);
        for (i, v) in values.iter().enumerate() {
            let w = values[(i * 5 + 1) % values.len()];
            let t = [qis[0].encode(v), qis[1].encode(w)];
            b.add(&t.map(|x| x.expect("in")), None, 1 + (i as u64 % 3));
        }
        let table = b.finish();
        let context = MetricContext::new(&qis, &table);
        let lattice = crate::lattice::Lattice::new(&[qis[0].height(); 2]);
        let metrics = [
            Metric::Loss { gs_factor: 0.5 },
            Metric::Loss { gs_factor: 0.2 },
            Metric::NonUniformEntropy { monotonic: false },
            Metric::NonUniformEntropy { monotonic: true },
            Metric::Precision { monotonic: false },
            Metric::Precision { monotonic: true },
        ];
        for id in 0..lattice.size() {
            let node = lattice.levels(id);
            let classes = crate::freq::group_under(&table, &qis, &node);
            let none = vec![false; classes.sizes.len()];
            for metric in &metrics {
                assert!(MetricContext::exact_without_suppression(metric));
                let score = context.score(metric, &node, &table, &qis, &classes, &none);
                let bound = context.lower_bound(metric, &node);
                assert_eq!(score.to_bits(), bound.to_bits(), "{metric:?} at {node:?}");
            }
        }
    }

    #[test]
    fn geometric_mean_of_equal_values_is_that_value() {
        assert!((geometric_mean(&[0.25, 0.25, 0.25]) - 0.25).abs() < 1e-12);
        assert_eq!(geometric_mean(&[0.0, 0.0]), 0.0);
    }
}
