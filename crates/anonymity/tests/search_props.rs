//! The search is exact: on random small tables, its optimum scores the same as the best of all
//! transformations checked one by one, for every metric, with and without suppression.

use proptest::prelude::*;
use pubdata_anonymity::config::{Metric, PrivacyModel, SearchConfig};
use pubdata_anonymity::domain::QiDomain;
use pubdata_anonymity::evaluate::{Evaluator, Problem};
use pubdata_anonymity::freq::FrequencyBuilder;
use pubdata_anonymity::hierarchy::build;
use pubdata_anonymity::lattice::Lattice;
use pubdata_anonymity::search::search;

fn problem(rows: &[(u8, u8, u8)], sensitive: &[u8]) -> Problem {
    let cols: Vec<Vec<String>> = (0..3)
        .map(|j| {
            rows.iter()
                .map(|r| {
                    let v = [r.0, r.1, r.2][j];
                    format!("{:03}", v)
                })
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
    let mut b = FrequencyBuilder::new(3, Some(4));
    for (i, _) in rows.iter().enumerate() {
        let t: Vec<u32> = (0..3)
            .map(|j| qis[j].encode(&cols[j][i]).expect("in"))
            .collect();
        b.add(&t, Some(u32::from(sensitive[i] % 4)), 1);
    }
    let mut sensitive_domain = pubdata_anonymity::domain::SensitiveDomain::new("s", Vec::new());
    for v in 0..4 {
        sensitive_domain.encode_or_add(&v.to_string());
    }
    Problem {
        qis,
        table: b.finish(),
        sensitive: Some(sensitive_domain),
    }
}

fn brute_force(evaluator: &Evaluator<'_>) -> Option<f64> {
    let lattice = Lattice::new(&evaluator.heights());
    (0..lattice.size())
        .filter_map(|id| evaluator.evaluate(&lattice.levels(id)).loss)
        .min_by(f64::total_cmp)
}

fn metrics() -> Vec<Metric> {
    vec![
        Metric::Loss { gs_factor: 0.5 },
        Metric::NonUniformEntropy { monotonic: true },
        Metric::NonUniformEntropy { monotonic: false },
        Metric::Discernibility { monotonic: true },
        Metric::Discernibility { monotonic: false },
        Metric::Precision { monotonic: false },
        Metric::AverageClassSize,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn search_finds_the_brute_force_optimum(
        rows in prop::collection::vec((0u8..40, 0u8..25, 0u8..12), 20..120),
        sensitive in prop::collection::vec(0u8..4, 120),
        k in 2u64..6,
        limit in prop::sample::select(vec![0.0, 0.05, 0.2]),
        with_l in any::<bool>(),
    ) {
        let p = problem(&rows, &sensitive);
        let mut models = vec![PrivacyModel::KAnonymity { k }];
        if with_l {
            models.push(PrivacyModel::DistinctLDiversity { attribute: "s".into(), l: 2 });
        }
        for metric in metrics() {
            let config = SearchConfig {
                models: models.clone(),
                suppression_limit: limit,
                metric,
                practical_monotonicity: false,
            };
            let evaluator = Evaluator::new(&p, &config, Vec::new());
            let expected = brute_force(&evaluator);
            let found = search(&evaluator, &config).and_then(|f| f.evaluation.loss);
            match (expected, found) {
                (None, None) => {}
                (Some(e), Some(f)) => prop_assert!(
                    (e - f).abs() <= 1e-12 * e.abs().max(1.0),
                    "{metric:?} limit {limit}: best {e}, search {f}"
                ),
                (e, f) => prop_assert!(false, "{metric:?} limit {limit}: best {e:?}, search {f:?}"),
            }
        }
    }
}
