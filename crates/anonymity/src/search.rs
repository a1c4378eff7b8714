//! The optimal search: which transformation satisfies the models within the suppression limit at
//! the lowest score.
//!
//! FLASH ([`crate::flash`]) serves practical monotonicity, whose answer depends on its walk, and
//! the class-bounded metrics when monotone. Otherwise nodes are taken in order of a lower
//! bound of their score and rank, and the search stops when no remaining node can beat the best
//! found. Pruning only uses facts that hold: a node whose small classes exceed the limit makes every
//! node below it fail too, and class-based bounds (Σ|E|², the score without suppression) carry
//! upwards because generalization only merges classes.

use crate::config::{Metric, PrivacyModel, SearchConfig};
use crate::evaluate::Evaluator;
use crate::flash::{Best, Found, flash_monotone, k_boundary};
use crate::lattice::Lattice;

/// Whether ARX would call the models monotone for this limit (or practical monotonicity says so).
pub fn privacy_monotone(config: &SearchConfig) -> bool {
    config.practical_monotonicity
        || config.suppression_limit == 0.0
        || config.models.iter().all(|m| {
            matches!(
                m,
                PrivacyModel::KAnonymity { .. } | PrivacyModel::DistinctLDiversity { .. }
            )
        })
}

/// Whether the metric cannot decrease under generalization at this limit.
pub fn utility_monotone(config: &SearchConfig) -> bool {
    config.practical_monotonicity
        || config.suppression_limit == 0.0
        || matches!(
            config.metric,
            Metric::NonUniformEntropy { monotonic: true }
                | Metric::Discernibility { monotonic: true }
                | Metric::Precision { monotonic: true }
        )
}

/// Finds the best transformation, or `None` when none satisfies the models.
pub fn search(evaluator: &Evaluator<'_>, config: &SearchConfig) -> Option<Found> {
    if privacy_monotone(config) && utility_monotone(config) {
        // Under practical monotonicity the answer depends on FLASH's walk, so take ARX's. Where
        // monotonicity holds, FLASH and the exact searches find the same optimum, and the
        // exact searches' quick refutations beat FLASH's roll-ups on large tables.
        if config.practical_monotonicity || needs_class_bound(evaluator) {
            return flash_monotone(evaluator);
        }
        return top_down(evaluator, config);
    }
    // Where a check depends on ARX's internals, ARX's optimum is that of its own walk (the one
    // it takes when neither models nor metric are monotone).
    if !privacy_monotone(config)
        && !utility_monotone(config)
        && evaluator.models().order_dependent()
        && let Some(found) = crate::arx_walk::arx_partial_walk(evaluator)
    {
        return found;
    }
    if needs_class_bound(evaluator) {
        bounded(evaluator, config)
    } else {
        top_down(evaluator, config)
    }
}

/// Every node of the lattice with its levels, rank and the metric's lower bound.
struct Nodes {
    lattice: Lattice,
    levels: Vec<Vec<usize>>,
    rank: Vec<usize>,
    bound: Vec<f64>,
}

impl Nodes {
    fn new(evaluator: &Evaluator<'_>) -> Nodes {
        let lattice = Lattice::new(&evaluator.heights());
        let levels: Vec<Vec<usize>> = (0..lattice.size()).map(|id| lattice.levels(id)).collect();
        let rank = levels.iter().map(|l| l.iter().sum()).collect();
        let bound = evaluator.context.lower_bounds(&evaluator.metric, &levels);
        Nodes {
            lattice,
            levels,
            rank,
            bound,
        }
    }
}

/// Exact search for metrics whose lower bound comes from marginals (Loss, entropy, precision):
/// nodes from the top down, skipping those whose bound cannot beat the best so far and those a
/// failed check below-marks. Few nodes under the optimum's bound pass k-anonymity, and a failing
/// node high up rules out everything under it, so going down from the top needs few checks.
fn top_down(evaluator: &Evaluator<'_>, config: &SearchConfig) -> Option<Found> {
    let Nodes {
        lattice,
        levels,
        rank,
        bound,
    } = Nodes::new(evaluator);
    let size = lattice.size();
    let mut order: Vec<usize> = (0..size).collect();
    order.sort_by(|&a, &b| {
        rank[b]
            .cmp(&rank[a])
            .then(bound[a].total_cmp(&bound[b]))
            .then(a.cmp(&b))
    });
    let privacy_monotone = privacy_monotone(config);
    let mut not_k = vec![false; size];
    let mut not_anonymous = vec![false; size];
    let mut best = Best::default();
    for id in order {
        if !best.beatable(bound[id], rank[id]) {
            continue;
        }
        if not_k[id] || (privacy_monotone && not_anonymous[id]) {
            continue;
        }
        let e = evaluator.evaluate_refuting(&levels[id]);
        if !e.k_anonymous {
            mark_down(&lattice, id, &mut not_k);
        }
        if !e.anonymous && privacy_monotone {
            mark_down(&lattice, id, &mut not_anonymous);
        }
        best.offer(&levels[id], &e);
    }
    best.into_found()
}

/// Best-first by lower bound with sound pruning; exact for any models and metric.
fn bounded(evaluator: &Evaluator<'_>, config: &SearchConfig) -> Option<Found> {
    let Nodes {
        lattice,
        levels,
        rank,
        bound: static_bound,
    } = Nodes::new(evaluator);
    let size = lattice.size();
    // Static bounds grow with generalization, so this order visits every node after the nodes
    // below it: bounds inherited from below are final when a node's turn comes.
    let mut order: Vec<usize> = (0..size).collect();
    order.sort_by(|&a, &b| {
        static_bound[a]
            .total_cmp(&static_bound[b])
            .then(rank[a].cmp(&rank[b]))
            .then(a.cmp(&b))
    });
    let privacy_monotone = privacy_monotone(config);
    let mut not_k = vec![false; size];
    // k-anonymity is monotone whatever the models: find its boundary with FLASH's few checks,
    // then only k-anonymous nodes need evaluating, and the walk's evaluations are reused.
    let mut known: std::collections::HashMap<usize, crate::evaluate::Evaluation> =
        std::collections::HashMap::new();
    if evaluator.min_class() > 1 {
        let boundary = k_boundary(evaluator);
        for (levels, k) in boundary.nodes {
            not_k[lattice.id(&levels)] = !k;
        }
        for (levels, e) in boundary.evaluations {
            known.insert(lattice.id(&levels), e);
        }
    }
    let mut not_anonymous = vec![false; size];
    let mut inherited = vec![f64::NEG_INFINITY; size];
    let mut best = Best::default();
    for (position, &id) in order.iter().enumerate() {
        let bound = static_bound[id].max(inherited[id]);
        if best.loss().is_some_and(|b| static_bound[id] > b) {
            break;
        }
        if !best.beatable(bound, rank[id]) {
            pass_up(&lattice, id, bound, &mut inherited);
            continue;
        }
        if not_k[id] || (privacy_monotone && not_anonymous[id]) {
            pass_up(&lattice, id, bound, &mut inherited);
            continue;
        }
        // Candidates come in bound order, close together in the lattice: group the table once at
        // the meet of the next ones and check them from its (fewer) classes.
        if !known.contains_key(&id)
            && evaluator.source_len(&levels[id]) * 4 > evaluator.problem.table.len()
        {
            let mut meet = levels[id].clone();
            for &next in order[position + 1..]
                .iter()
                .filter(|&&c| !not_k[c] && !known.contains_key(&c))
                .take(MEET_LOOKAHEAD)
            {
                for (m, l) in meet.iter_mut().zip(&levels[next]) {
                    *m = (*m).min(*l);
                }
            }
            evaluator.prime(&meet);
        }
        let (e, class_bound) = match known.remove(&id) {
            Some(e) if !e.anonymous || !needs_class_bound(evaluator) => (e, f64::NEG_INFINITY),
            _ => {
                let outcome = evaluator.outcome(&levels[id]);
                let b = class_bound(evaluator, &levels[id], &outcome);
                (outcome.evaluation, b)
            }
        };
        let e = &e;
        if !e.k_anonymous {
            mark_down(&lattice, id, &mut not_k);
        }
        if !e.anonymous && privacy_monotone {
            mark_down(&lattice, id, &mut not_anonymous);
        }
        let carried = bound.max(class_bound);
        best.offer(&levels[id], e);
        if let Some(loss) = e.loss {
            // A monotone metric never improves above an accepted node.
            if utility_monotone(config) {
                pass_up(&lattice, id, loss.max(carried), &mut inherited);
                continue;
            }
        }
        pass_up(&lattice, id, carried, &mut inherited);
    }
    best.into_found()
}

/// Candidates looked ahead to place a shared snapshot.
const MEET_LOOKAHEAD: usize = 24;

/// Whether class-based bounds beat the static ones for this metric.
fn needs_class_bound(evaluator: &Evaluator<'_>) -> bool {
    matches!(
        evaluator.metric,
        Metric::Discernibility { .. } | Metric::AverageClassSize
    )
}

/// A bound for every node above, from this node's classes: generalization only merges classes.
fn class_bound(
    evaluator: &Evaluator<'_>,
    node: &[usize],
    outcome: &crate::evaluate::Outcome,
) -> f64 {
    let none = vec![false; outcome.classes.sizes.len()];
    match evaluator.metric {
        Metric::Discernibility { .. } => outcome
            .classes
            .sizes
            .iter()
            .map(|&s| (s as f64) * (s as f64))
            .sum(),
        Metric::AverageClassSize => {
            evaluator.context.n as f64 / outcome.classes.sizes.len().max(1) as f64
        }
        Metric::Loss { .. } | Metric::NonUniformEntropy { .. } | Metric::Precision { .. } => {
            evaluator.context.score(
                &evaluator.metric,
                node,
                outcome.table(evaluator),
                &evaluator.problem.qis,
                &outcome.classes,
                &none,
            )
        }
    }
}

fn pass_up(lattice: &Lattice, id: usize, bound: f64, inherited: &mut [f64]) {
    for s in lattice.successors(id) {
        if inherited[s] < bound {
            inherited[s] = bound;
        }
    }
}

fn mark_down(lattice: &Lattice, id: usize, marks: &mut [bool]) {
    let mut stack = vec![id];
    while let Some(x) = stack.pop() {
        if !marks[x] {
            marks[x] = true;
            stack.extend(lattice.predecessors(x));
        }
    }
}
