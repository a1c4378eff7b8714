//! ARX parity cases: a JSON list of expected optima (ARX's own test format, as in
//! `../shared/data/arx/cases.json`) and a runner that checks ours against them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{GroundDistance, Metric, PrivacyModel, SearchConfig};
use crate::domain::{MissingValues, QiDomain, SensitiveDomain};
use crate::evaluate::{Evaluator, Problem};
use crate::freq::FrequencyBuilder;
use crate::hierarchy::Hierarchy;
use crate::models::Distance;
use crate::search::search;

/// One expected optimum.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Case name.
    pub id: String,
    /// Data set name: `<dataset>.csv` and `<dataset>_hierarchy_<attribute>.csv`.
    pub dataset: String,
    /// Quasi-identifiers, in order.
    pub quasi_identifiers: Vec<String>,
    /// The sensitive attribute, if any.
    #[serde(default)]
    pub sensitive_attribute: Option<String>,
    /// Models.
    pub privacy_models: Vec<PrivacyModel>,
    /// Share of records that may be suppressed.
    pub suppression_limit: f64,
    /// The metric, in the cases' spelling.
    pub quality_metric: CaseMetric,
    /// ARX's practical monotonicity switch.
    #[serde(default)]
    pub practical_monotonicity: bool,
    /// ARX's score as it prints it (Java double syntax).
    pub expected_information_loss: String,
    /// Levels per quasi-identifier, or `None` when nothing satisfies the models.
    pub expected_transformation: Option<Vec<usize>>,
    /// Allowed relative difference in the score, when ARX allows one.
    #[serde(default)]
    pub loss_tolerance: Option<f64>,
}

/// A metric as the cases spell it.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseMetric {
    /// `loss`, `non-uniform-entropy`, `discernibility`, `precision` or `aecs`.
    pub metric: String,
    /// Monotonic variant.
    #[serde(default)]
    pub monotonic: bool,
    /// Loss's weight of generalization against suppression.
    #[serde(default)]
    pub gs_factor: Option<f64>,
}

impl CaseMetric {
    /// Our metric, or a message naming what is not known.
    pub fn to_metric(&self) -> Result<Metric, String> {
        Ok(match self.metric.as_str() {
            "loss" => Metric::Loss {
                gs_factor: self.gs_factor.unwrap_or(0.5),
            },
            "non-uniform-entropy" => Metric::NonUniformEntropy {
                monotonic: self.monotonic,
            },
            "discernibility" => Metric::Discernibility {
                monotonic: self.monotonic,
            },
            "precision" => Metric::Precision {
                monotonic: self.monotonic,
            },
            "aecs" | "average-class-size" => Metric::AverageClassSize,
            other => return Err(format!("unknown metric {other:?}")),
        })
    }
}

/// What running one case gave.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case name.
    pub id: String,
    /// Whether it matched.
    pub pass: bool,
    /// Our transformation.
    pub transformation: Option<Vec<usize>>,
    /// Our score.
    pub loss: Option<f64>,
    /// Why it failed, or what matched.
    pub detail: String,
    /// Transformations checked.
    pub checks: u64,
}

/// A data set read for the cases: header and rows of text.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    dir: PathBuf,
    name: String,
}

impl Dataset {
    /// Reads `<dir>/<name>.csv` (`;`-separated, with a header).
    pub fn load(dir: &Path, name: &str) -> Result<Dataset, String> {
        let path = dir.join(format!("{name}.csv"));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_path(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            rows.push(record.iter().map(str::to_string).collect());
        }
        Ok(Dataset {
            header,
            rows,
            dir: dir.to_path_buf(),
            name: name.to_string(),
        })
    }

    fn column(&self, name: &str) -> Result<usize, String> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}.csv has no column {name:?}", self.name))
    }

    /// Reads a hierarchy file beside the data set.
    pub fn hierarchy_file(&self, file: &str) -> Result<Hierarchy, String> {
        let path = self.dir.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Hierarchy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The hierarchy of `attribute`.
    pub fn hierarchy(&self, attribute: &str) -> Result<Hierarchy, String> {
        self.hierarchy_file(&format!("{}_hierarchy_{attribute}.csv", self.name))
    }
}

/// Builds the problem and the t-closeness distances of a case.
pub fn prepare(case: &Case, data: &Dataset) -> Result<(Problem, Vec<Distance>), String> {
    let mut qis = Vec::new();
    let mut columns = Vec::new();
    for name in &case.quasi_identifiers {
        columns.push(data.column(name)?);
        qis.push(QiDomain::new(name, &data.hierarchy(name)?));
    }
    let sensitive_name = case.sensitive_attribute.clone().or_else(|| {
        case.privacy_models
            .iter()
            .find_map(|m| m.attribute().map(String::from))
    });
    let sensitive_column = match &sensitive_name {
        Some(s) => Some(data.column(s)?),
        None => None,
    };
    // Sensitive values in order of first appearance; orderings that need more are built below.
    let mut sensitive = sensitive_name
        .as_deref()
        .map(|s| SensitiveDomain::new(s, Vec::new()));
    let mut encoded_sensitive = Vec::with_capacity(data.rows.len());
    if let (Some(domain), Some(col)) = (sensitive.as_mut(), sensitive_column) {
        for row in &data.rows {
            encoded_sensitive.push(domain.encode_or_add(&row[col]));
        }
    }
    let mut builder = FrequencyBuilder::new(qis.len(), sensitive.as_ref().map(|s| s.values.len()));
    let mut missing: Vec<Vec<String>> = vec![Vec::new(); qis.len()];
    let mut tuple = vec![0u32; qis.len()];
    for (r, row) in data.rows.iter().enumerate() {
        let mut ok = true;
        for (j, (&col, qi)) in columns.iter().zip(&qis).enumerate() {
            match qi.encode(&row[col]) {
                Some(id) => tuple[j] = id,
                None => {
                    missing[j].push(row[col].clone());
                    ok = false;
                }
            }
        }
        if ok {
            builder.add(&tuple, encoded_sensitive.get(r).copied(), 1);
        }
    }
    for (j, m) in missing.into_iter().enumerate() {
        if !m.is_empty() {
            return Err(MissingValues::new(&qis[j].name, m).to_string());
        }
    }
    let problem = Problem {
        qis,
        table: builder.finish(),
        sensitive,
    };
    let mut distances = Vec::new();
    for m in &case.privacy_models {
        if let PrivacyModel::TCloseness {
            distance,
            hierarchy,
            ..
        } = m
        {
            distances.push(crate::tcloseness::prepare(
                &problem,
                *distance,
                match (distance, hierarchy) {
                    (GroundDistance::Hierarchical, Some(file)) => Some(data.hierarchy_file(file)?),
                    (GroundDistance::Hierarchical, None) => {
                        Some(data.hierarchy(sensitive_name.as_deref().unwrap_or_default())?)
                    }
                    _ => None,
                },
            )?);
        }
    }
    Ok((problem, distances))
}

/// Parses a Java double as ARX prints it (`3.11880088E8`, `0.0d`).
pub fn parse_java_double(s: &str) -> Option<f64> {
    s.trim().trim_end_matches(['d', 'D']).parse().ok()
}

/// Runs one case against its data set.
pub fn run(case: &Case, data: &Dataset) -> CaseResult {
    let fail = |detail: String| CaseResult {
        id: case.id.clone(),
        pass: false,
        transformation: None,
        loss: None,
        detail,
        checks: 0,
    };
    let metric = match case.quality_metric.to_metric() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let (problem, distances) = match prepare(case, data) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let config = SearchConfig {
        models: case.privacy_models.clone(),
        suppression_limit: case.suppression_limit,
        metric,
        practical_monotonicity: case.practical_monotonicity,
    };
    let evaluator = Evaluator::new(&problem, &config, distances);
    let found = search(&evaluator, &config);
    let checks = evaluator.checks.get();
    let expected_loss = parse_java_double(&case.expected_information_loss);
    let (transformation, loss) = match &found {
        Some(f) => (Some(f.node.clone()), f.evaluation.loss),
        None => (None, None),
    };
    let (pass, detail) = match (&case.expected_transformation, &found) {
        (None, None) => (
            true,
            "no transformation satisfies the models, as expected".into(),
        ),
        (None, Some(f)) => (false, format!("expected none, found {:?}", f.node)),
        (Some(t), None) => (false, format!("expected {t:?}, found none")),
        (Some(t), Some(f)) => {
            let ours = f.evaluation.loss.unwrap_or(f64::NAN);
            let theirs = expected_loss.unwrap_or(f64::NAN);
            let tolerance = case.loss_tolerance.unwrap_or(0.0).max(1e-9);
            let close = (ours - theirs).abs() <= tolerance * theirs.abs().max(f64::MIN_POSITIVE)
                || ours == theirs;
            if &f.node == t && close {
                (true, format!("{t:?} loss {ours}"))
            } else if close {
                (
                    true,
                    format!("{:?} ties with expected {t:?} at loss {ours}", f.node),
                )
            } else {
                (
                    false,
                    format!(
                        "expected {t:?} loss {theirs}, found {:?} loss {ours}",
                        f.node
                    ),
                )
            }
        }
    };
    CaseResult {
        id: case.id.clone(),
        pass,
        transformation,
        loss,
        detail,
        checks,
    }
}
