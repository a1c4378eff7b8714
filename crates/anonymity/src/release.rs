//! What a chosen transformation releases: which classes are suppressed, the risk before and
//! after, the utility each quasi-identifier loses, and each requirement checked on the release
//! itself (not on the search's say-so).

use std::collections::HashSet;

use crate::config::{GroundDistance, Metric};
use crate::evaluate::{Evaluator, Outcome};
use crate::freq::class_histograms;
use crate::policy::Requirements;
use crate::report::{QiSummary, RequirementCheck};
use crate::risk::{RiskReport, assess};

/// A transformation ready to apply and report.
#[derive(Debug, Clone)]
pub struct Release {
    /// Levels per quasi-identifier.
    pub node: Vec<usize>,
    /// Its classes and suppression flags.
    pub outcome: Outcome,
    /// Generalized ids (per quasi-identifier, at the node's levels) of the suppressed classes.
    pub suppressed_keys: HashSet<Vec<u32>>,
}

impl Release {
    /// Evaluates `node` and collects the keys of its suppressed classes.
    pub fn new(evaluator: &Evaluator<'_>, node: &[usize]) -> Release {
        let outcome = evaluator.outcome_exact(node);
        let p = evaluator.problem;
        let suppressed_keys = outcome
            .suppressed
            .iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(c, _)| {
                let t = p.table.tuple(outcome.classes.representative[c] as usize);
                t.iter()
                    .zip(&p.qis)
                    .zip(node)
                    .map(|((leaf, q), &l)| q.up[l][*leaf as usize])
                    .collect()
            })
            .collect();
        Release {
            node: node.to_vec(),
            outcome,
            suppressed_keys,
        }
    }

    /// Whether a record with these leaf ids is suppressed; `scratch` holds the generalized key
    /// between calls so that the per-record check does not allocate.
    pub fn is_suppressed(
        &self,
        evaluator: &Evaluator<'_>,
        leaves: &[u32],
        scratch: &mut Vec<u32>,
    ) -> bool {
        if self.suppressed_keys.is_empty() {
            return false;
        }
        scratch.clear();
        scratch.extend(
            leaves
                .iter()
                .zip(&evaluator.problem.qis)
                .zip(&self.node)
                .map(|((leaf, q), &l)| q.up[l][*leaf as usize]),
        );
        self.suppressed_keys.contains(scratch.as_slice())
    }

    /// Records suppressed.
    pub fn suppressed_records(&self) -> u64 {
        self.outcome
            .classes
            .sizes
            .iter()
            .zip(&self.outcome.suppressed)
            .filter(|(_, s)| **s)
            .map(|(c, _)| *c)
            .sum()
    }

    /// Sizes of the released classes.
    pub fn released_sizes(&self) -> Vec<u64> {
        self.outcome
            .classes
            .sizes
            .iter()
            .zip(&self.outcome.suppressed)
            .filter(|(_, s)| !**s)
            .map(|(c, _)| *c)
            .collect()
    }

    /// Risk of the release.
    pub fn risk(&self, threshold: f64, sampling_fraction: f64) -> RiskReport {
        assess(&self.released_sizes(), threshold, sampling_fraction)
    }

    /// Per quasi-identifier: level, distinct values before and after, Loss.
    pub fn qi_summaries(
        &self,
        evaluator: &Evaluator<'_>,
        hierarchies: &[String],
    ) -> Vec<QiSummary> {
        let p = evaluator.problem;
        let gs = match evaluator.metric {
            Metric::Loss { gs_factor } => gs_factor,
            _ => 0.5,
        };
        let loss = evaluator.context.loss_per_attribute(
            gs,
            &self.node,
            &p.table,
            &p.qis,
            &self.outcome.classes,
            &self.outcome.suppressed,
        );
        p.qis
            .iter()
            .enumerate()
            .map(|(j, q)| {
                let mut before = HashSet::new();
                let mut after = HashSet::new();
                for (i, t) in p.table.tuples.chunks_exact(p.table.width).enumerate() {
                    before.insert(t[j]);
                    let c = self.outcome.classes.class_of[i] as usize;
                    if !self.outcome.suppressed[c] {
                        after.insert(q.up[self.node[j]][t[j] as usize]);
                    }
                }
                QiSummary {
                    column: q.name.clone(),
                    level: self.node[j],
                    max_level: q.height() - 1,
                    hierarchy: hierarchies.get(j).cloned().unwrap_or_default(),
                    distinct_before: before.len() as u64,
                    distinct_after: after.len() as u64,
                    loss: loss[j],
                }
            })
            .collect()
    }

    /// Each requirement measured on the release.
    pub fn check(&self, evaluator: &Evaluator<'_>, r: &Requirements) -> Vec<RequirementCheck> {
        let p = evaluator.problem;
        let n = p.table.total().max(1) as f64;
        let sizes = self.released_sizes();
        let smallest = sizes.iter().copied().min().unwrap_or(0);
        let mut out = Vec::new();
        if let Some(k) = r.k {
            out.push(RequirementCheck {
                name: "k-anonymity (smallest class)".into(),
                required: format!(">= {k}"),
                achieved: smallest.to_string(),
                met: smallest >= k,
                margin: smallest as f64 - k as f64,
            });
        }
        if let Some(max) = r.max_prosecutor_risk {
            let highest = if smallest == 0 {
                0.0
            } else {
                1.0 / smallest as f64
            };
            out.push(RequirementCheck {
                name: "highest prosecutor risk".into(),
                required: format!("<= {max}"),
                achieved: format!("{highest:.4}"),
                met: highest <= max + 1e-12,
                margin: max - highest,
            });
        }
        let histograms = class_histograms(&p.table, &self.outcome.classes);
        let released = |c: usize| !self.outcome.suppressed[c];
        if let (Some(l), Some(h)) = (r.l, &histograms) {
            let least = (0..self.outcome.classes.sizes.len())
                .filter(|&c| released(c))
                .map(|c| (h.offsets[c + 1] - h.offsets[c]) as u64)
                .min()
                .unwrap_or(0);
            out.push(RequirementCheck {
                name: "distinct l-diversity (fewest sensitive values in a class)".into(),
                required: format!(">= {l}"),
                achieved: least.to_string(),
                met: least >= l,
                margin: least as f64 - l as f64,
            });
        }
        if let (Some(t), Some(h)) = (r.t, &histograms)
            && let Ok(distance) = crate::tcloseness::prepare(p, GroundDistance::Equal, None)
        {
            let worst = (0..self.outcome.classes.sizes.len())
                .filter(|&c| released(c))
                .map(|c| {
                    let (a, b) = (h.offsets[c] as usize, h.offsets[c + 1] as usize);
                    distance.between(
                        self.outcome.classes.sizes[c],
                        &h.values[a..b],
                        &h.counts[a..b],
                    )
                })
                .fold(0.0, f64::max);
            out.push(RequirementCheck {
                name: "t-closeness (largest distance, equal ground distance)".into(),
                required: format!("<= {t}"),
                achieved: format!("{worst:.4}"),
                met: worst <= t + 1e-12,
                margin: t - worst,
            });
        }
        let share = self.suppressed_records() as f64 / n;
        let max = r.max_suppressed.unwrap_or(0.0);
        out.push(RequirementCheck {
            name: "records suppressed".into(),
            required: format!("<= {:.2} %", max * 100.0),
            achieved: format!("{:.2} %", share * 100.0),
            met: share <= max + 1e-12,
            // In percentage points, the unit `required` and `achieved` are written in.
            margin: (max - share) * 100.0,
        });
        out
    }
}
