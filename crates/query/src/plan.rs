//! A de-identification policy as a DataFusion plan: the input stream, a row filter for
//! `[[suppress_rows]]` and `on_invalid = "suppress_row"`, and a projection that calls one UDF
//! per column rule. The same plan shape can later run on a Ballista cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, ScalarUDF, cast};
use datafusion::prelude::{SessionContext, ident};
use pubdata_deid::apply::{ColumnOp, ColumnReportCounts, Resources, RunCounts};
use pubdata_deid::policy::{OnInvalid, Policy, PolicyError};
use pubdata_tables::TableReader;

use crate::policy_udf::{ColumnCounter, ColumnRuleUdf, KeepRowUdf, RowCheck, RowCounter};
use crate::source::{ROW_COLUMN, SourceError, reader_table};

/// Errors building a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The policy does not fit the table or names something missing.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Policy(Vec<PolicyError>),
    /// The input cannot become a table.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// DataFusion refused the plan.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

/// Live counters of a running plan, read into a [`RunCounts`] when it has finished.
pub struct PlanCounts {
    rows_read: Arc<AtomicU64>,
    rows: Arc<RowCounter>,
    columns: Vec<(String, &'static str, Arc<ColumnCounter>)>,
}

impl PlanCounts {
    /// Rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_read.load(Ordering::Relaxed)
    }

    /// The counts of the finished run, given the rows written.
    pub fn finish(&self, rows_out: u64) -> RunCounts {
        let mut counts = RunCounts {
            rows_in: self.rows_read.load(Ordering::Relaxed),
            rows_out,
            rows_suppressed_by_rule: self.rows.by_rule.load(Ordering::Relaxed),
            rows_suppressed_invalid: self.rows.invalid.load(Ordering::Relaxed),
            values_nulled: self.rows.nulled.load(Ordering::Relaxed),
            ..RunCounts::default()
        };
        for (name, op, c) in &self.columns {
            let mut entry = ColumnReportCounts {
                op: op.to_string(),
                ..Default::default()
            };
            entry.counts.values = c.values.load(Ordering::Relaxed);
            entry.counts.invalid = c.invalid.load(Ordering::Relaxed);
            counts.columns.insert(name.clone(), entry);
        }
        counts
    }
}

fn text(name: &str) -> Expr {
    cast(ident(name), DataType::Utf8)
}

/// True for operators that can meet a value they cannot parse.
fn can_fail(op: &ColumnOp) -> bool {
    matches!(
        op,
        ColumnOp::EncryptFpe { .. }
            | ColumnOp::Generalize(_)
            | ColumnOp::DateShift { .. }
            | ColumnOp::Noise(_)
    )
}

/// Builds the plan that applies `policy` to the rows of `reader`.
pub fn deid_frame(
    ctx: &SessionContext,
    reader: TableReader,
    policy: &Policy,
    res: &Resources,
) -> Result<(DataFrame, PlanCounts), PlanError> {
    let schema = reader.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let errors = policy.check_columns(&names);
    if !errors.is_empty() {
        return Err(PlanError::Policy(errors));
    }
    let index = |name: &str| names.iter().position(|n| n == name);
    let mut compiled = Vec::new();
    let mut errors = Vec::new();
    for rule in &policy.columns {
        match ColumnOp::compile(&rule.operator, res, &index) {
            Ok(op) => compiled.push((rule, Arc::new(op), Arc::new(ColumnCounter::default()))),
            Err(message) => errors.push(PolicyError {
                line: rule.line,
                message: format!("column {:?}: {message}", rule.name),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(PlanError::Policy(errors));
    }
    let on_invalid = policy.dataset.on_invalid;
    let rows_read = Arc::new(AtomicU64::new(0));
    let row_counter = Arc::new(RowCounter::default());
    let mut frame = ctx.read_table(reader_table(reader, rows_read.clone())?)?;

    let mut checks = Vec::new();
    let mut args = vec![ident(ROW_COLUMN)];
    for rule in &policy.suppress_rows {
        checks.push(RowCheck::Rule(rule.clone()));
        args.push(text(&rule.column));
    }
    let mut by_args = Vec::new();
    if on_invalid == OnInvalid::SuppressRow {
        for (rule, op, counter) in compiled.iter().filter(|(_, op, _)| can_fail(op)) {
            args.push(text(&rule.name));
            let by = op.by().map(|b| {
                by_args.push(text(&names[b]));
                by_args.len() - 1
            });
            checks.push(RowCheck::Valid {
                column: rule.name.clone(),
                op: op.clone(),
                by,
                counter: counter.clone(),
            });
        }
    }
    if !checks.is_empty() {
        // `by` arguments follow the checked columns: shift their indexes past them.
        let first_by = args.len();
        for check in &mut checks {
            if let RowCheck::Valid { by: Some(b), .. } = check {
                *b += first_by;
            }
        }
        let extra = by_args.len();
        args.extend(by_args);
        let keep = ScalarUDF::new_from_impl(KeepRowUdf::new(
            checks,
            extra,
            on_invalid,
            row_counter.clone(),
        ));
        frame = frame.filter(keep.call(args))?;
    }

    let mut projection = Vec::new();
    let mut columns = Vec::new();
    for name in &names {
        let Some((rule, op, counter)) = compiled.iter().find(|(r, _, _)| &r.name == name) else {
            continue;
        };
        columns.push((name.clone(), rule.operator.name(), counter.clone()));
        match op.as_ref() {
            ColumnOp::Drop => {}
            ColumnOp::Keep => projection.push(ident(name)),
            _ => {
                let udf = ScalarUDF::new_from_impl(ColumnRuleUdf::new(
                    name,
                    rule.operator.name(),
                    op.clone(),
                    on_invalid,
                    counter.clone(),
                    row_counter.clone(),
                ));
                let mut call = vec![text(name), ident(ROW_COLUMN)];
                if let Some(b) = op.by() {
                    call.push(text(&names[b]));
                }
                projection.push(udf.call(call).alias(name));
            }
        }
    }
    let frame = frame.select(projection)?;
    Ok((
        frame,
        PlanCounts {
            rows_read,
            rows: row_counter,
            columns,
        },
    ))
}
