//! Re-identification risk from equivalence class sizes, in the three attacker models of
//! GB/T 42460-2023 and ARX: the prosecutor (knows the target is in the data), the journalist
//! (knows the target is in the population the data was sampled from) and the marketer (wants to
//! re-identify as many records as possible).

use serde::Serialize;

/// Risk figures for one attacker model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AttackerRisk {
    /// Highest risk of any record.
    pub highest: f64,
    /// Average risk over records.
    pub average: f64,
    /// Share of records whose risk is above the threshold.
    pub above_threshold: f64,
}

/// One bucket of the class-size distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SizeBucket {
    /// Smallest class size in the bucket.
    pub from: u64,
    /// Largest class size in the bucket.
    pub to: u64,
    /// Classes in the bucket.
    pub classes: u64,
    /// Records in those classes.
    pub records: u64,
}

/// The whole risk picture of a table under a set of quasi-identifiers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskReport {
    /// Records assessed (suppressed records are not released, so not counted).
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// The threshold used for `above_threshold`.
    pub threshold: f64,
    /// The share of the population the data holds (1: the data is the population).
    pub sampling_fraction: f64,
    /// Prosecutor risk: 1 / class size.
    pub prosecutor: AttackerRisk,
    /// Journalist risk: 1 / estimated population class size.
    pub journalist: AttackerRisk,
    /// Marketer risk: the expected share of records re-identified.
    pub marketer: f64,
    /// Records alone in their class.
    pub sample_uniques: u64,
    /// Share of records alone in their class.
    pub sample_uniqueness: f64,
    /// Class sizes in buckets 1, 2, 3-4, 5-9, 10-19, 20-49, 50-99, 100+.
    pub class_sizes: Vec<SizeBucket>,
}

/// Bucket bounds of [`RiskReport::class_sizes`].
const BUCKETS: [(u64, u64); 8] = [
    (1, 1),
    (2, 2),
    (3, 4),
    (5, 9),
    (10, 19),
    (20, 49),
    (50, 99),
    (100, u64::MAX),
];

/// Assesses classes of `sizes` (suppressed classes left out by the caller). `sampling_fraction`
/// estimates population class sizes as `size / fraction` for the journalist; 1 means the data is
/// the whole population, and the journalist then sees what the prosecutor sees.
pub fn assess(sizes: &[u64], threshold: f64, sampling_fraction: f64) -> RiskReport {
    let fraction = if sampling_fraction > 0.0 && sampling_fraction <= 1.0 {
        sampling_fraction
    } else {
        1.0
    };
    let records: u64 = sizes.iter().sum();
    let n = records.max(1) as f64;
    let classes = sizes.iter().filter(|s| **s > 0).count() as u64;
    let attacker = |population: &dyn Fn(u64) -> f64| {
        let mut highest: f64 = 0.0;
        let mut sum = 0.0;
        let mut above = 0u64;
        for &s in sizes.iter().filter(|s| **s > 0) {
            let r = 1.0 / population(s).max(1.0);
            highest = highest.max(r);
            sum += r * s as f64;
            if r > threshold {
                above += s;
            }
        }
        AttackerRisk {
            highest,
            average: sum / n,
            above_threshold: above as f64 / n,
        }
    };
    let prosecutor = attacker(&|s| s as f64);
    let journalist = attacker(&|s| (s as f64 / fraction).round());
    let mut class_sizes: Vec<SizeBucket> = BUCKETS
        .iter()
        .map(|&(from, to)| SizeBucket {
            from,
            to,
            classes: 0,
            records: 0,
        })
        .collect();
    for &s in sizes.iter().filter(|s| **s > 0) {
        if let Some(b) = class_sizes.iter_mut().find(|b| s >= b.from && s <= b.to) {
            b.classes += 1;
            b.records += s;
        }
    }
    let sample_uniques = sizes.iter().filter(|s| **s == 1).count() as u64;
    RiskReport {
        records,
        classes,
        threshold,
        sampling_fraction: fraction,
        prosecutor,
        journalist,
        // Each class yields one correct match in expectation: classes / records (with a
        // population, the sum of size / population size over records).
        marketer: sizes
            .iter()
            .filter(|s| **s > 0)
            .map(|&s| s as f64 / (s as f64 / fraction).round().max(1.0))
            .sum::<f64>()
            / n,
        sample_uniques,
        sample_uniqueness: sample_uniques as f64 / n,
        class_sizes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_definitions() {
        // Classes of 1, 2 and 5 records: 8 records.
        let r = assess(&[1, 2, 5], 0.2, 1.0);
        assert_eq!(r.records, 8);
        assert_eq!(r.classes, 3);
        assert_eq!(r.prosecutor.highest, 1.0);
        // Each class contributes size * 1/size = 1: 3 / 8.
        assert!((r.prosecutor.average - 3.0 / 8.0).abs() < 1e-12);
        // Risks 1 and 0.5 are above 0.2; 0.2 is not.
        assert!((r.prosecutor.above_threshold - 3.0 / 8.0).abs() < 1e-12);
        assert_eq!(r.journalist, r.prosecutor);
        assert!((r.marketer - 3.0 / 8.0).abs() < 1e-12);
        assert_eq!(r.sample_uniques, 1);
        assert_eq!(r.class_sizes[0].records, 1);
        assert_eq!(r.class_sizes[3].classes, 1);
    }

    #[test]
    fn a_sample_lowers_journalist_risk() {
        let r = assess(&[1, 2, 5], 0.2, 0.1);
        assert!((r.journalist.highest - 0.1).abs() < 1e-12);
        assert!(r.journalist.average < r.prosecutor.average);
        assert!(r.marketer < 3.0 / 8.0);
    }
}
