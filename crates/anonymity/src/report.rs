//! What `pubdata anonymize` reports: the transformation chosen, the requirements and how far they
//! are met, risk and utility before and after. Serialized as JSON; rendered as HTML by
//! [`crate::report_html`].

use serde::Serialize;

use crate::risk::RiskReport;

/// The report of one anonymization run.
#[derive(Debug, Clone, Serialize)]
pub struct AnonymizeReport {
    /// Input table path.
    pub input: String,
    /// Output table path.
    pub output: String,
    /// Policy file path.
    pub policy: String,
    /// SHA-256 of the policy file, hex.
    pub policy_sha256: String,
    /// SHA-256 of the input's bytes, hex.
    pub input_sha256: String,
    /// SHA-256 of the output's bytes, hex.
    pub output_sha256: String,
    /// Records read.
    pub records_in: u64,
    /// Records written.
    pub records_out: u64,
    /// Records suppressed (left out of the output).
    pub suppressed: u64,
    /// The quality metric's name.
    pub metric: String,
    /// Its score for the chosen transformation (lower is better).
    pub score: f64,
    /// Per quasi-identifier: the level chosen and the utility lost.
    pub quasi_identifiers: Vec<QiSummary>,
    /// The requirements of the policy, each with what was achieved.
    pub requirements: Vec<RequirementCheck>,
    /// Risk of the input under the quasi-identifiers.
    pub risk_before: RiskReport,
    /// Risk of the output.
    pub risk_after: RiskReport,
    /// Transformations checked by the search.
    pub transformations_checked: u64,
    /// Size of the search space.
    pub lattice_size: u64,
    /// Wall-clock seconds for the whole run.
    pub seconds: f64,
}

/// One quasi-identifier in the report.
#[derive(Debug, Clone, Serialize)]
pub struct QiSummary {
    /// Column name.
    pub column: String,
    /// Generalization level chosen (0: kept as is).
    pub level: usize,
    /// Highest level its hierarchy has.
    pub max_level: usize,
    /// How its hierarchy was made (a file, or a builder).
    pub hierarchy: String,
    /// Distinct values before.
    pub distinct_before: u64,
    /// Distinct values after.
    pub distinct_after: u64,
    /// Share of the attribute's information lost, 0 to 1 (ARX's Loss for this attribute,
    /// suppressed records counting as fully generalized).
    pub loss: f64,
}

/// One requirement and how it came out.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementCheck {
    /// What is required, in words: `k-anonymity`, `highest prosecutor risk`, ...
    pub name: String,
    /// The required value, as written (`>= 10`, `<= 0.1`).
    pub required: String,
    /// The value achieved.
    pub achieved: String,
    /// Whether it is met.
    pub met: bool,
    /// How far it is met (positive) or missed (negative), in the requirement's unit (records for
    /// k and l, probability for risk, percentage points for the suppression limit).
    pub margin: f64,
}
