//! Evaluating one transformation: group the frequency table, check each class, suppress the
//! failures, decide against the limit and score.

use std::rc::Rc;

use crate::config::{Metric, SearchConfig};
use crate::domain::{QiDomain, SensitiveDomain};
use crate::freq::{Classes, FrequencyTable, class_histograms, group_under};
use crate::kcheck::{Refutation, Refuter};
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
    /// Records suppressed (when anonymous, those the release leaves out). When not k-anonymous:
    /// records in small classes, or a lower bound above the limit when a check stopped early.
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
    /// Frequency-table rows grouped so far (the work the checks did).
    pub grouped: std::cell::Cell<u64>,
    /// Classes of checked transformations, as frequency tables: a node above one of them is
    /// grouped from its (fewer) classes instead of from the whole table.
    snapshots: std::cell::RefCell<Vec<(Vec<usize>, Rc<FrequencyTable>)>>,
    refuter: Refuter,
}

/// Snapshots kept; the oldest goes first.
const SNAPSHOTS: usize = 48;

/// Classes of one transformation with their suppression flags.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The classes, over the rows of `source` (or of the problem's table when `None`).
    pub classes: Classes,
    /// The snapshot the classes were grouped from, if any.
    pub source: Option<Rc<FrequencyTable>>,
    /// Per class: suppressed.
    pub suppressed: Vec<bool>,
    /// The evaluation.
    pub evaluation: Evaluation,
}

impl Outcome {
    /// The table the classes index.
    pub fn table<'t>(&'t self, evaluator: &'t Evaluator<'_>) -> &'t FrequencyTable {
        self.source.as_deref().unwrap_or(&evaluator.problem.table)
    }
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
            grouped: std::cell::Cell::new(0),
            snapshots: std::cell::RefCell::new(Vec::new()),
            refuter: Refuter::new(&problem.qis),
        }
    }

    /// The prepared models.
    pub(crate) fn models(&self) -> &ModelSet {
        &self.models
    }

    /// The smallest class the models allow.
    pub fn min_class(&self) -> u64 {
        self.models.min_class
    }

    /// Levels per quasi-identifier, level 0 included.
    pub fn heights(&self) -> Vec<usize> {
        self.problem.qis.iter().map(QiDomain::height).collect()
    }

    /// Checks `node` (levels per quasi-identifier).
    pub fn evaluate(&self, node: &[usize]) -> Evaluation {
        self.outcome(node).evaluation
    }

    /// Checks `node`, first trying to refute k-anonymity from part of the table: cheaper when
    /// most checks fail, but a refuted check leaves no snapshot for the nodes above it. When the
    /// pass finds no small class and no other model reads the classes, nothing is suppressed and
    /// metrics that need no classes then are scored without grouping again.
    pub fn evaluate_refuting(&self, node: &[usize]) -> Evaluation {
        if self.best_source(node).is_some() {
            return self.outcome(node).evaluation;
        }
        let p = self.problem;
        let refutation = self.refuter.refute(
            &p.table,
            &p.qis,
            node,
            self.models.min_class,
            self.max_suppressed,
        );
        match refutation {
            Refutation::Fails { small, rows } => {
                self.checks.set(self.checks.get() + 1);
                self.grouped.set(self.grouped.get() + rows);
                Evaluation {
                    anonymous: false,
                    k_anonymous: false,
                    suppressed: small,
                    loss: None,
                }
            }
            Refutation::Within { small: 0, rows }
                if self.models.class_models.is_empty()
                    && MetricContext::exact_without_suppression(&self.metric) =>
            {
                self.checks.set(self.checks.get() + 1);
                self.grouped.set(self.grouped.get() + rows);
                Evaluation {
                    anonymous: true,
                    k_anonymous: true,
                    suppressed: 0,
                    loss: Some(self.context.lower_bound(&self.metric, node)),
                }
            }
            Refutation::Within { rows, .. } => {
                self.grouped.set(self.grouped.get() + rows);
                self.outcome(node).evaluation
            }
            Refutation::NotApplicable => self.outcome(node).evaluation,
        }
    }

    /// Checks `node` and keeps its classes, grouped from the whole table so that they map to
    /// its rows (what applying a transformation needs).
    pub fn outcome_exact(&self, node: &[usize]) -> Outcome {
        self.outcome_from(node, None)
    }

    fn best_source(&self, node: &[usize]) -> Option<Rc<FrequencyTable>> {
        self.snapshots
            .borrow()
            .iter()
            .filter(|(n, _)| n.iter().zip(node).all(|(a, b)| a <= b))
            .min_by_key(|(_, t)| t.len())
            .map(|(_, t)| t.clone())
    }

    /// Rows of the table `node` would be grouped from.
    pub fn source_len(&self, node: &[usize]) -> usize {
        self.best_source(node)
            .map_or(self.problem.table.len(), |t| t.len())
    }

    /// Groups `table`'s rows by their generalization under `node`, counting the rows grouped.
    fn group(&self, table: &FrequencyTable, node: &[usize]) -> Classes {
        self.grouped.set(self.grouped.get() + table.len() as u64);
        group_under(table, &self.problem.qis, node)
    }

    /// Groups `node` only to keep its classes as a snapshot for the nodes above it.
    pub fn prime(&self, node: &[usize]) {
        let source = self.best_source(node);
        let table: &FrequencyTable = source.as_deref().unwrap_or(&self.problem.table);
        let classes = self.group(table, node);
        if classes.sizes.len() * 4 <= table.len() * 3 {
            let outcome = Outcome {
                suppressed: Vec::new(),
                evaluation: Evaluation {
                    anonymous: false,
                    k_anonymous: false,
                    suppressed: 0,
                    loss: None,
                },
                classes,
                source,
            };
            let snapshot = self.snapshot(&outcome);
            self.store(node, snapshot);
        }
    }

    fn store(&self, node: &[usize], snapshot: FrequencyTable) {
        let mut store = self.snapshots.borrow_mut();
        if store.len() >= SNAPSHOTS {
            // Oldest first: measured better than dropping the largest or the smallest.
            store.remove(0);
        }
        store.push((node.to_vec(), Rc::new(snapshot)));
    }

    /// Checks `node` and keeps its classes, grouped from the smallest snapshot below it.
    pub fn outcome(&self, node: &[usize]) -> Outcome {
        let source = self.best_source(node);
        let outcome = self.outcome_from(node, source);
        let from = outcome
            .source
            .as_ref()
            .map_or(self.problem.table.len(), |t| t.len());
        if outcome.classes.sizes.len() * 2 <= from {
            let snapshot = self.snapshot(&outcome);
            self.store(node, snapshot);
        }
        outcome
    }

    fn snapshot(&self, outcome: &Outcome) -> FrequencyTable {
        let table = outcome.table(self);
        let classes = &outcome.classes;
        let mut tuples = Vec::with_capacity(classes.sizes.len() * table.width);
        for &r in &classes.representative {
            tuples.extend_from_slice(table.tuple(r as usize));
        }
        FrequencyTable {
            width: table.width,
            tuples,
            counts: classes.sizes.clone(),
            sensitive: class_histograms(table, classes),
        }
    }

    fn outcome_from(&self, node: &[usize], source: Option<Rc<FrequencyTable>>) -> Outcome {
        self.checks.set(self.checks.get() + 1);
        let p = self.problem;
        let table: &FrequencyTable = source.as_deref().unwrap_or(&p.table);
        let classes = self.group(table, node);
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
                source,
                suppressed,
                evaluation,
            };
        }
        let histograms = if self.models.class_models.is_empty() {
            None
        } else {
            class_histograms(table, &classes)
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
            evaluation.loss =
                Some(
                    self.context
                        .score(&self.metric, node, table, &p.qis, &classes, &suppressed),
                );
        }
        Outcome {
            classes,
            source,
            suppressed,
            evaluation,
        }
    }
}
