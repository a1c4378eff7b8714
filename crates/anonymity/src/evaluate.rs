//! Evaluating one transformation: group the frequency table, check each class, suppress the
//! failures, decide against the limit and score.

use crate::config::{Metric, SearchConfig};
use crate::domain::{QiDomain, SensitiveDomain};
use crate::freq::{Classes, FrequencyTable, class_histograms, groupify};
use crate::metrics::MetricContext;
use crate::models::{Distance, ModelSet};

/// The encoded input of a search.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Quasi-identifiers, in order.
    pub qis: Vec<QiDomain>,
    /// Distinct combinations with counts (and sensitive counts).
    pub table: FrequencyTable,
    /// The sensitive attribute's values, when a model reads them.
    pub sensitive: Option<SensitiveDomain>,
}

/// What checking one transformation found.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The models hold with the failing classes suppressed within the limit.
    pub anonymous: bool,
    /// Records in classes below the smallest size any model allows fit within the limit.
    pub k_anonymous: bool,
    /// Records suppressed (when anonymous, those the release leaves out).
    pub suppressed: u64,
    /// The metric's score, for anonymous transformations.
    pub loss: Option<f64>,
}

/// Evaluates transformations of one problem under one configuration.
#[derive(Debug)]
pub struct Evaluator<'a> {
    /// The problem.
    pub problem: &'a Problem,
    /// The metric.
    pub metric: Metric,
    /// Metric facts.
    pub context: MetricContext,
    models: ModelSet,
    /// Records that may be suppressed: ⌊limit × n⌋.
    pub max_suppressed: u64,
    /// Transformations checked so far.
    pub checks: std::cell::Cell<u64>,
}

/// Classes of one transformation with their suppression flags.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The classes.
    pub classes: Classes,
    /// Per class: suppressed.
    pub suppressed: Vec<bool>,
    /// The evaluation.
    pub evaluation: Evaluation,
}

impl<'a> Evaluator<'a> {
    /// Prepares models (with `distances` for t-closeness, in model order) and metric facts.
    pub fn new(problem: &'a Problem, config: &SearchConfig, distances: Vec<Distance>) -> Self {
        let n = problem.table.total();
        let limit = config.suppression_limit.clamp(0.0, 1.0);
        Evaluator {
            problem,
            metric: config.metric,
            context: MetricContext::new(&problem.qis, &problem.table),
            models: ModelSet::new(&config.models, distances),
            max_suppressed: (limit * n as f64).floor() as u64,
            checks: std::cell::Cell::new(0),
        }
    }

    /// Levels per quasi-identifier, level 0 included.
    pub fn heights(&self) -> Vec<usize> {
        self.problem.qis.iter().map(QiDomain::height).collect()
    }

    /// Checks `node` (levels per quasi-identifier).
    pub fn evaluate(&self, node: &[usize]) -> Evaluation {
        self.outcome(node).evaluation
    }

    /// Checks `node` and keeps its classes.
    pub fn outcome(&self, node: &[usize]) -> Outcome {
        self.checks.set(self.checks.get() + 1);
        let p = self.problem;
        let ups: Vec<&[u32]> = p
            .qis
            .iter()
            .zip(node)
            .map(|(q, &l)| q.up[l].as_slice())
            .collect();
        let sizes: Vec<usize> = p
            .qis
            .iter()
            .zip(node)
            .map(|(q, &l)| q.labels[l].len())
            .collect();
        let classes = groupify(&p.table, &ups, &sizes);
        let small: u64 = classes
            .sizes
            .iter()
            .filter(|&&s| s < self.models.min_class)
            .sum();
        let k_anonymous = small <= self.max_suppressed;
        let mut suppressed = vec![false; classes.sizes.len()];
        let mut evaluation = Evaluation {
            anonymous: false,
            k_anonymous,
            suppressed: small,
            loss: None,
        };
        if !k_anonymous {
            return Outcome {
                classes,
                suppressed,
                evaluation,
            };
        }
        let histograms = if self.models.class_models.is_empty() {
            None
        } else {
            class_histograms(&p.table, &classes)
        };
        let mut total = 0u64;
        for (c, &size) in classes.sizes.iter().enumerate() {
            let mut ok = size >= self.models.min_class;
            if ok && let Some(h) = &histograms {
                let (a, b) = (h.offsets[c] as usize, h.offsets[c + 1] as usize);
                ok = self
                    .models
                    .class_ok(size, &h.values[a..b], &h.counts[a..b], &h.first[a..b]);
            }
            if !ok {
                suppressed[c] = true;
                total += size;
            }
        }
        evaluation.suppressed = total;
        evaluation.anonymous = total <= self.max_suppressed;
        if evaluation.anonymous {
            evaluation.loss = Some(self.context.score(
                &self.metric,
                node,
                &p.table,
                &p.qis,
                &classes,
                &suppressed,
            ));
        }
        Outcome {
            classes,
            suppressed,
            evaluation,
        }
    }
}
