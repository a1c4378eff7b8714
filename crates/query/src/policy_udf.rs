//! A policy's column rules as scalar UDFs bound to one compiled operator each, and the row filter
//! that applies `[[suppress_rows]]` and `on_invalid = "suppress_row"`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use pubdata_deid::apply::ColumnOp;
use pubdata_deid::policy::{OnInvalid, SuppressRule};
use pubdata_deid::transform::Invalid;

/// Counts one column's UDF keeps while the plan runs.
#[derive(Debug, Default)]
pub struct ColumnCounter {
    /// Values transformed.
    pub values: AtomicU64,
    /// Values that did not parse.
    pub invalid: AtomicU64,
}

/// Counts of the row filter.
#[derive(Debug, Default)]
pub struct RowCounter {
    /// Rows a `[[suppress_rows]]` rule matched.
    pub by_rule: AtomicU64,
    /// Other rows left out because a value did not parse.
    pub invalid: AtomicU64,
    /// Values set to null because they did not parse.
    pub nulled: AtomicU64,
}

fn invalid_error(rows: &UInt64Array, i: usize, column: &str, reason: Invalid) -> DataFusionError {
    DataFusionError::Execution(format!(
        "row {}, column {column:?}: {reason}; nothing was written (on_invalid = \"fail\"; \"null\" or \"suppress_row\" would go on)",
        rows.value(i)
    ))
}

fn strings(a: &ArrayRef) -> Result<&StringArray> {
    a.as_string_opt::<i32>()
        .ok_or_else(|| DataFusionError::Internal(format!("expected Utf8, got {}", a.data_type())))
}

fn rows(a: &ArrayRef) -> Result<&UInt64Array> {
    a.as_primitive_opt::<UInt64Type>().ok_or_else(|| {
        DataFusionError::Internal(format!("expected row numbers, got {}", a.data_type()))
    })
}

/// One column rule: `(value Utf8, row UInt64 [, by Utf8]) -> Utf8`.
#[derive(Debug)]
pub struct ColumnRuleUdf {
    name: String,
    column: String,
    op: Arc<ColumnOp>,
    on_invalid: OnInvalid,
    counter: Arc<ColumnCounter>,
    row_counter: Arc<RowCounter>,
    signature: Signature,
}

impl ColumnRuleUdf {
    /// A UDF for `column`'s operator; it shows in plans as `pd_<operator>`.
    pub fn new(
        column: &str,
        op_name: &str,
        op: Arc<ColumnOp>,
        on_invalid: OnInvalid,
        counter: Arc<ColumnCounter>,
        row_counter: Arc<RowCounter>,
    ) -> Self {
        let arity = if op.by().is_some() { 3 } else { 2 };
        Self {
            name: format!("pd_{op_name}"),
            column: column.to_string(),
            op,
            on_invalid,
            counter,
            row_counter,
            signature: Signature::any(arity, Volatility::Volatile),
        }
    }
}

// Two rule UDFs are the same function only if they are the same instance: each is bound to
// its own compiled operator and counters.
impl PartialEq for ColumnRuleUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.op, &other.op)
    }
}
impl Eq for ColumnRuleUdf {}
impl Hash for ColumnRuleUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.column.hash(state);
    }
}

impl ScalarUDFImpl for ColumnRuleUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let values = strings(&arrays[0])?;
        let row_numbers = rows(&arrays[1])?;
        let by = match arrays.get(2) {
            Some(a) => Some(strings(a)?),
            None => None,
        };
        let mut invalid = Vec::new();
        let out = self.op.apply_text(values, by, &mut invalid);
        if let (OnInvalid::Fail, Some((i, reason))) = (self.on_invalid, invalid.first()) {
            return Err(invalid_error(row_numbers, *i, &self.column, *reason));
        }
        let good = values.len() - values.null_count() - invalid.len();
        self.counter
            .values
            .fetch_add(good as u64, Ordering::Relaxed);
        // In suppress_row mode the row filter has already counted (and removed) invalid rows.
        if self.on_invalid == OnInvalid::Null {
            self.counter
                .invalid
                .fetch_add(invalid.len() as u64, Ordering::Relaxed);
            self.row_counter
                .nulled
                .fetch_add(invalid.len() as u64, Ordering::Relaxed);
        }
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// What the row filter reads: a suppression rule's column, or a column whose invalid values
/// suppress their row.
#[derive(Debug)]
pub enum RowCheck {
    /// A `[[suppress_rows]]` rule over the argument.
    Rule(SuppressRule),
    /// A column operator (with the argument index of its `by` column): rows where it fails are dropped.
    Valid {
        column: String,
        op: Arc<ColumnOp>,
        by: Option<usize>,
        counter: Arc<ColumnCounter>,
    },
}

/// `pd_keep_row(row, arg1, arg2, ...) -> Boolean`: false for rows to leave out.
#[derive(Debug)]
pub struct KeepRowUdf {
    checks: Vec<RowCheck>,
    on_invalid: OnInvalid,
    counter: Arc<RowCounter>,
    signature: Signature,
}

impl KeepRowUdf {
    /// A filter over `checks`; check `i` reads argument `i + 1` (argument 0 is the row number).
    pub fn new(
        checks: Vec<RowCheck>,
        extra_args: usize,
        on_invalid: OnInvalid,
        counter: Arc<RowCounter>,
    ) -> Self {
        let arity = 1 + checks.len() + extra_args;
        Self {
            checks,
            on_invalid,
            counter,
            signature: Signature::any(arity, Volatility::Volatile),
        }
    }
}

impl PartialEq for KeepRowUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.counter, &other.counter)
    }
}
impl Eq for KeepRowUdf {}
impl Hash for KeepRowUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.checks.len().hash(state);
    }
}

impl ScalarUDFImpl for KeepRowUdf {
    fn name(&self) -> &str {
        "pd_keep_row"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let row_numbers = rows(&arrays[0])?;
        let n = row_numbers.len();
        let mut by_rule = vec![false; n];
        let mut bad = vec![false; n];
        let mut invalid = Vec::new();
        // Rules come first among the checks, so by the time a column is checked for invalid
        // values, the rows rules suppress are known and are neither checked nor counted.
        for (k, check) in self.checks.iter().enumerate() {
            let values = strings(&arrays[k + 1])?;
            match check {
                RowCheck::Rule(rule) => {
                    for (i, slot) in by_rule.iter_mut().enumerate() {
                        let v = values.is_valid(i).then(|| values.value(i));
                        match rule.matches(v) {
                            Ok(m) => *slot |= m,
                            Err(reason) => match self.on_invalid {
                                OnInvalid::Fail => {
                                    return Err(invalid_error(
                                        row_numbers,
                                        i,
                                        &rule.column,
                                        reason,
                                    ));
                                }
                                OnInvalid::SuppressRow => *slot = true,
                                OnInvalid::Null => {}
                            },
                        }
                    }
                }
                RowCheck::Valid {
                    op, by, counter, ..
                } => {
                    let by = match by {
                        Some(b) => Some(strings(&arrays[*b])?),
                        None => None,
                    };
                    invalid.clear();
                    op.apply_text(values, by, &mut invalid);
                    let mut counted = 0;
                    for (i, _) in &invalid {
                        if !by_rule[*i] {
                            bad[*i] = true;
                            counted += 1;
                        }
                    }
                    counter.invalid.fetch_add(counted, Ordering::Relaxed);
                }
            }
        }
        let mut keep = Vec::with_capacity(n);
        let (mut ruled, mut dropped) = (0, 0);
        for i in 0..n {
            ruled += u64::from(by_rule[i]);
            dropped += u64::from(bad[i] && !by_rule[i]);
            keep.push(!by_rule[i] && !bad[i]);
        }
        self.counter.by_rule.fetch_add(ruled, Ordering::Relaxed);
        self.counter.invalid.fetch_add(dropped, Ordering::Relaxed);
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::from(keep))))
    }
}
