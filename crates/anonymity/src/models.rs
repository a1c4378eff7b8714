//! Privacy models checked class by class. A class that fails any model is suppressed; a
//! transformation is accepted when the suppressed records fit within the limit.

use crate::config::{EntropyEstimator, PrivacyModel};

/// The models of one search, ready to check classes.
#[derive(Debug, Clone)]
pub struct ModelSet {
    /// The smallest class any model allows: k, or l for l-diversity.
    pub min_class: u64,
    /// Models that read the sensitive values.
    pub class_models: Vec<ClassModel>,
}

/// A model that needs each class's sensitive values.
#[derive(Debug, Clone)]
pub enum ClassModel {
    /// At least `l` distinct values.
    Distinct(u64),
    /// Entropy at least `log2(l)`.
    Entropy {
        /// The l.
        l: f64,
        /// Shannon or Grassberger.
        estimator: EntropyEstimator,
    },
    /// Recursive (c,l)-diversity.
    Recursive {
        /// The c.
        c: f64,
        /// The l.
        l: u64,
    },
    /// t-closeness against the whole table's distribution.
    TCloseness {
        /// The largest distance.
        t: f64,
        /// How distance is measured.
        distance: Distance,
    },
}

/// A ground distance with what it needs precomputed.
#[derive(Debug, Clone)]
pub enum Distance {
    /// Variational distance: half the sum of absolute differences.
    Equal {
        /// The whole table's distribution, per sensitive value id.
        global: Vec<f64>,
    },
    /// Ordered: the sum of absolute cumulative differences over `m - 1`.
    Ordered {
        /// The whole table's distribution.
        global: Vec<f64>,
        /// Sensitive value ids in ascending order.
        order: Vec<u32>,
    },
    /// Over a hierarchy of the sensitive values.
    Hierarchical {
        /// The whole table's count per value.
        global: Vec<u64>,
        /// `parent[level][id]`: the id at `level + 1` of node `id` at `level` (level 0: values).
        parent: Vec<Vec<u32>>,
        /// Nodes per level.
        width: Vec<usize>,
    },
}

impl ModelSet {
    /// Prepares `models`; `distances` gives each t-closeness model its prepared distance, in order.
    pub fn new(models: &[PrivacyModel], mut distances: Vec<Distance>) -> ModelSet {
        let mut min_class = 1;
        let mut class_models = Vec::new();
        distances.reverse();
        for m in models {
            match m {
                PrivacyModel::KAnonymity { k } => min_class = min_class.max(*k),
                PrivacyModel::DistinctLDiversity { l, .. } => {
                    min_class = min_class.max(*l);
                    class_models.push(ClassModel::Distinct(*l));
                }
                PrivacyModel::EntropyLDiversity { l, estimator, .. } => {
                    min_class = min_class.max(l.ceil() as u64);
                    class_models.push(ClassModel::Entropy {
                        l: *l,
                        estimator: *estimator,
                    });
                }
                PrivacyModel::RecursiveCLDiversity { c, l, .. } => {
                    min_class = min_class.max(*l);
                    class_models.push(ClassModel::Recursive { c: *c, l: *l });
                }
                PrivacyModel::TCloseness { t, .. } => {
                    if let Some(distance) = distances.pop() {
                        class_models.push(ClassModel::TCloseness { t: *t, distance });
                    }
                }
            }
        }
        ModelSet {
            min_class,
            class_models,
        }
    }

    /// Whether a class of `size` records with sensitive `values` / `counts` (first seen at record
    /// `first`) satisfies every class model (the size limit is checked by the caller).
    pub fn class_ok(&self, size: u64, values: &[u32], counts: &[u64], first: &[u64]) -> bool {
        self.class_models
            .iter()
            .all(|m| m.holds(size, values, counts, || arx_bucket_order(values, first)))
    }

    /// [`ModelSet::class_ok`] for values already in the order ARX's table holds them.
    pub(crate) fn class_ok_in_order(&self, size: u64, values: &[u32], counts: &[u64]) -> bool {
        self.class_models
            .iter()
            .all(|m| m.holds(size, values, counts, || (0..values.len()).collect()))
    }

    /// Whether a check's outcome depends on the order of a class's values: Grassberger's terms
    /// can be negative, and ARX tests the running sum.
    pub fn order_dependent(&self) -> bool {
        self.class_models.iter().any(|m| {
            matches!(
                m,
                ClassModel::Entropy {
                    estimator: EntropyEstimator::Grassberger,
                    ..
                }
            )
        })
    }
}

impl ClassModel {
    fn holds(
        &self,
        size: u64,
        values: &[u32],
        counts: &[u64],
        order: impl Fn() -> Vec<usize>,
    ) -> bool {
        match self {
            ClassModel::Distinct(l) => values.len() as u64 >= *l,
            ClassModel::Entropy { l, estimator } => {
                if (values.len() as f64) < l.ceil() {
                    return false;
                }
                // Entropy ψ(n) − (1/n) Σ f ψ(f) ≥ ln l, tested as ARX tests it: every running
                // sum of f ψ(f) must stay within n (ψ(n) − ln l).
                let psi = match estimator {
                    EntropyEstimator::Shannon => |x: u64| (x as f64).ln(),
                    EntropyEstimator::Grassberger => grassberger_g,
                };
                let bound = size as f64 * (psi(size) - l.ln());
                let mut sum = 0.0;
                // Grassberger's terms can be negative, so where the running sum is tested
                // matters: take the values in the order ARX's distribution table holds them.
                for i in order() {
                    sum += counts[i] as f64 * psi(counts[i]);
                    if bound < sum {
                        return false;
                    }
                }
                true
            }
            ClassModel::Recursive { c, l } => {
                let l = *l as usize;
                if values.len() < l {
                    return false;
                }
                let mut sorted: Vec<u64> = counts.to_vec();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                let tail: u64 = sorted[l - 1..].iter().sum();
                (sorted[0] as f64) < c * tail as f64
            }
            ClassModel::TCloseness { t, distance } => distance.within(size, values, counts, *t),
        }
    }
}

/// The order in which ARX's distribution table (open addressing, linear probing, capacity 8
/// doubling past a 0.75 load) holds a class's values, inserted in order of first arrival.
/// Returns indexes into `values`.
fn arx_bucket_order(values: &[u32], first: &[u64]) -> Vec<usize> {
    let mut arrival: Vec<usize> = (0..values.len()).collect();
    arrival.sort_by_key(|&i| (first.get(i).copied().unwrap_or(0), values[i]));
    let mut slots: Vec<Option<usize>> = vec![None; 8];
    let mut size = 0;
    let place = |slots: &mut Vec<Option<usize>>, i: usize| {
        let mask = slots.len() - 1;
        let mut at = values[i] as usize & mask;
        while slots[at].is_some() {
            at = (at + 1) & mask;
        }
        slots[at] = Some(i);
    };
    for i in arrival {
        place(&mut slots, i);
        size += 1;
        if size > slots.len() * 3 / 4 {
            let old = std::mem::replace(&mut slots, vec![None; 0]);
            slots = vec![None; old.len() * 2];
            for j in old.into_iter().flatten() {
                place(&mut slots, j);
            }
        }
    }
    slots.into_iter().flatten().collect()
}

/// Plug-in entropy in bits.
pub fn shannon(size: u64, counts: &[u64]) -> f64 {
    let n = size as f64;
    -counts
        .iter()
        .map(|&c| {
            let p = c as f64 / n;
            p * p.log2()
        })
        .sum::<f64>()
}

/// Grassberger's G: `G(2k) = G(2k+1) = −γ − ln 2 + Σ_{j≤k} 2/(2j−1)`, and above 100 the
/// asymptotic series `ln x + m (1/24 − m (7/960 − m 31/8064))` with `m = 1/(x/2)²`.
pub fn grassberger_g(x: u64) -> f64 {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    let even = x - x % 2;
    if even <= 100 {
        let mut g = -EULER_GAMMA - std::f64::consts::LN_2;
        for j in 1..=even / 2 {
            g += 2.0 / (2 * j - 1) as f64;
        }
        return g;
    }
    let h = (even / 2) as f64;
    let m = 1.0 / (h * h);
    (even as f64).ln() + m * (1.0 / 24.0 - m * (7.0 / 960.0 - m * 31.0 / 8064.0))
}

/// Grassberger's entropy estimate in bits: `G(n) − (1/n) Σ f G(f)`.
pub fn grassberger(size: u64, counts: &[u64]) -> f64 {
    let n = size as f64;
    let sum: f64 = counts.iter().map(|&c| c as f64 * grassberger_g(c)).sum();
    (grassberger_g(size) - sum / n) / std::f64::consts::LN_2
}

impl Distance {
    /// Whether the class is within `t` of the whole table, compared as ARX compares: the ordered
    /// distance unnormalized against `t (m − 1)`.
    pub fn within(&self, size: u64, values: &[u32], counts: &[u64], t: f64) -> bool {
        match self {
            Distance::Ordered { order, .. } => {
                let m = order.len();
                m < 2 || self.ordered_sum(size, values, counts) <= t * (m as f64 - 1.0)
            }
            _ => self.between(size, values, counts) <= t,
        }
    }

    fn ordered_sum(&self, size: u64, values: &[u32], counts: &[u64]) -> f64 {
        let Distance::Ordered { global, order } = self else {
            return 0.0;
        };
        let n = size as f64;
        let mut p = vec![0.0; global.len()];
        for (&v, &c) in values.iter().zip(counts) {
            p[v as usize] = c as f64 / n;
        }
        let mut cumulative = 0.0;
        let mut sum = 0.0;
        for &v in order {
            cumulative += p[v as usize] - global[v as usize];
            sum += f64::abs(cumulative);
        }
        sum
    }

    /// The distance between a class's distribution and the whole table's.
    pub fn between(&self, size: u64, values: &[u32], counts: &[u64]) -> f64 {
        let n = size as f64;
        match self {
            Distance::Equal { global } => {
                // ½ Σ |p − q|, summed over the class's values: the others add q each, 1 − Σ q.
                let mut sum = 1.0;
                for (&v, &c) in values.iter().zip(counts) {
                    let (p, q) = (c as f64 / n, global[v as usize]);
                    sum += (q - p).abs() - q;
                }
                sum / 2.0
            }
            Distance::Ordered { order, .. } => {
                let m = order.len();
                if m < 2 {
                    return 0.0;
                }
                self.ordered_sum(size, values, counts) / (m - 1) as f64
            }
            Distance::Hierarchical {
                global,
                parent,
                width,
            } => {
                let height = parent.len();
                if height == 0 {
                    return 0.0;
                }
                // Mass in units of 1/(N n): a value's surplus is N_v n − E_v N, exact in integers.
                let total: u64 = global.iter().sum();
                let mut extra: Vec<i128> = global.iter().map(|&q| (q * size) as i128).collect();
                for (&v, &c) in values.iter().zip(counts) {
                    extra[v as usize] -= (c * total) as i128;
                }
                let mut cost = 0.0;
                for level in 0..height {
                    let mut pos = vec![0i128; width[level + 1]];
                    let mut neg = vec![0i128; width[level + 1]];
                    for (id, &e) in extra.iter().enumerate() {
                        let up = parent[level][id] as usize;
                        if e > 0 {
                            pos[up] += e;
                        } else {
                            neg[up] -= e;
                        }
                    }
                    let h = (level + 1) as f64 / height as f64;
                    for i in 0..pos.len() {
                        cost += h * pos[i].min(neg[i]) as f64;
                    }
                    extra = pos.iter().zip(&neg).map(|(p, q)| p - q).collect();
                }
                cost / (total as f64 * n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grassberger_g_follows_its_recurrence_and_series() {
        // G(1) = G(0) = −γ − ln 2; G(2) = G(1) + 2.
        assert!((grassberger_g(1) + 1.270_362_845_461_478_2).abs() < 1e-15);
        assert!((grassberger_g(3) - grassberger_g(2)).abs() < 1e-15);
        assert!((grassberger_g(2) - 0.729_637_154_538_521_8).abs() < 1e-15);
        // The series above 100 continues the sum closely.
        assert!((grassberger_g(100) - 4.605_186_851_488_337).abs() < 1e-12);
        assert!((grassberger_g(102) - (grassberger_g(100) + 2.0 / 101.0)).abs() < 1e-6);
    }

    #[test]
    fn entropy_of_a_uniform_class_is_log_of_its_values() {
        assert!((shannon(4, &[1, 1, 1, 1]) - 2.0).abs() < 1e-12);
        // Grassberger corrects the plug-in estimate upwards for small samples.
        assert!(grassberger(4, &[1, 1, 1, 1]) > 2.0);
    }

    #[test]
    fn distances_are_zero_for_the_global_distribution_and_positive_otherwise() {
        let global = vec![0.5, 0.25, 0.25];
        let equal = Distance::Equal {
            global: global.clone(),
        };
        assert!(equal.between(4, &[0, 1, 2], &[2, 1, 1]).abs() < 1e-12);
        assert!((equal.between(2, &[0], &[2]) - 0.5).abs() < 1e-12);
        let ordered = Distance::Ordered {
            global: global.clone(),
            order: vec![0, 1, 2],
        };
        // Moving 0.25 one step and 0.25 two steps: (0.5 + 0.25) / 2.
        assert!((ordered.between(2, &[0], &[2]) - 0.375).abs() < 1e-12);
        // Values 0 and 1 under one parent, 2 under another, one root.
        let tree = Distance::Hierarchical {
            global: vec![2, 1, 1],
            parent: vec![vec![0, 0, 1], vec![0, 0]],
            width: vec![3, 2, 1],
        };
        assert!(tree.between(4, &[0, 1, 2], &[2, 1, 1]).abs() < 1e-12);
        // All mass on value 0: 0.25 moves within the first parent (cost ½), 0.25 across the
        // root (cost 1).
        assert!((tree.between(2, &[0], &[2]) - (0.25 * 0.5 + 0.25)).abs() < 1e-12);
    }
}
