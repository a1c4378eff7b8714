//! What a search is asked for: privacy models, a suppression limit and a quality metric.

use serde::{Deserialize, Serialize};

/// A privacy model over the equivalence classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum PrivacyModel {
    /// Every class holds at least `k` records.
    KAnonymity {
        /// The smallest class size.
        k: u64,
    },
    /// Every class holds at least `l` distinct sensitive values.
    DistinctLDiversity {
        /// The sensitive attribute.
        attribute: String,
        /// Distinct values per class.
        l: u64,
    },
    /// The entropy of the sensitive values in every class is at least `log(l)`.
    EntropyLDiversity {
        /// The sensitive attribute.
        attribute: String,
        /// The l.
        l: f64,
        /// How entropy is estimated.
        #[serde(default)]
        estimator: EntropyEstimator,
    },
    /// Recursive (c,l)-diversity: the most frequent value is rarer than `c` times the sum of the
    /// frequencies from the `l`-th on.
    RecursiveCLDiversity {
        /// The sensitive attribute.
        attribute: String,
        /// The c.
        c: f64,
        /// The l.
        l: u64,
    },
    /// The distance between each class's sensitive distribution and the whole table's is at
    /// most `t`.
    TCloseness {
        /// The sensitive attribute.
        attribute: String,
        /// The largest distance.
        t: f64,
        /// The ground distance.
        distance: GroundDistance,
        /// For the hierarchical distance: the sensitive attribute's hierarchy file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hierarchy: Option<String>,
    },
}

impl PrivacyModel {
    /// The sensitive attribute the model reads, if any.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            PrivacyModel::KAnonymity { .. } => None,
            PrivacyModel::DistinctLDiversity { attribute, .. }
            | PrivacyModel::EntropyLDiversity { attribute, .. }
            | PrivacyModel::RecursiveCLDiversity { attribute, .. }
            | PrivacyModel::TCloseness { attribute, .. } => Some(attribute),
        }
    }
}

/// Entropy estimators for entropy l-diversity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntropyEstimator {
    /// The plug-in estimate.
    #[default]
    Shannon,
    /// Grassberger's bias-corrected estimate.
    Grassberger,
}

/// Ground distances for t-closeness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroundDistance {
    /// Every two values are at distance 1.
    Equal,
    /// Values are ordered; distance is the difference of positions.
    Ordered,
    /// Distance is the height of the lowest common generalization in a hierarchy.
    Hierarchical,
}

/// Quality metrics: lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "metric", rename_all = "kebab-case")]
pub enum Metric {
    /// ARX's default Loss: share of the domain each value is generalized to, weighted against
    /// suppression by `gs_factor`, aggregated over attributes by geometric mean.
    Loss {
        /// Weight of generalization against suppression (0.5: equal).
        #[serde(default = "half")]
        gs_factor: f64,
    },
    /// Non-uniform entropy, summed over attributes.
    NonUniformEntropy {
        /// Whether suppressed records are left out (the monotonic variant).
        #[serde(default)]
        monotonic: bool,
    },
    /// Discernibility: class sizes squared; `monotonic` is DM*.
    Discernibility {
        /// Whether suppressed records are counted as their class (DM*).
        #[serde(default)]
        monotonic: bool,
    },
    /// Precision: average generalization height.
    Precision {
        /// Whether suppressed records are left out.
        #[serde(default)]
        monotonic: bool,
    },
    /// Average equivalence class size.
    AverageClassSize,
}

fn half() -> f64 {
    0.5
}

impl std::fmt::Display for Metric {
    /// The metric as the policy file spells it, for reports.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let monotonic = |m: bool| if m { ", monotonic" } else { "" };
        match *self {
            Metric::Loss { gs_factor } => write!(f, "loss (gs-factor {gs_factor})"),
            Metric::NonUniformEntropy { monotonic: m } => {
                write!(f, "non-uniform entropy{}", monotonic(m))
            }
            Metric::Discernibility { monotonic: true } => f.write_str("discernibility (DM*)"),
            Metric::Discernibility { monotonic: false } => f.write_str("discernibility"),
            Metric::Precision { monotonic: m } => write!(f, "precision{}", monotonic(m)),
            Metric::AverageClassSize => f.write_str("average equivalence class size"),
        }
    }
}

impl Default for Metric {
    fn default() -> Metric {
        Metric::Loss { gs_factor: 0.5 }
    }
}

/// The whole question a search answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Models every accepted transformation satisfies.
    pub models: Vec<PrivacyModel>,
    /// Share of records that may be suppressed, 0 to 1.
    pub suppression_limit: f64,
    /// What to minimize.
    pub metric: Metric,
    /// Treat every model as monotone under suppression (faster; may miss the optimum).
    #[serde(default)]
    pub practical_monotonicity: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_read_in_reports_as_policies_spell_them() {
        assert_eq!(Metric::default().to_string(), "loss (gs-factor 0.5)");
        assert_eq!(
            Metric::Discernibility { monotonic: true }.to_string(),
            "discernibility (DM*)"
        );
        assert_eq!(
            Metric::NonUniformEntropy { monotonic: true }.to_string(),
            "non-uniform entropy, monotonic"
        );
        assert_eq!(
            Metric::AverageClassSize.to_string(),
            "average equivalence class size"
        );
    }
}
