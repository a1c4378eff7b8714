//! A policy compiled against a table's schema and applied batch by batch.
//!
//! Every column's operator runs over the whole batch; values an operator cannot parse become
//! null and are then handled by the policy's `on_invalid`: the run fails (naming the row and
//! column, never the value), the value stays null, or the row is left out. No path writes an
//! unparsed value in the clear.

use pubdata_detect::DetectMode;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde::Serialize;

use crate::keys::Key;
use crate::policy::{
    ColumnRule, OnInvalid, Operator, Policy, PolicyError, RedactReplace, SuppressRule,
};
use crate::transform::Invalid;
use crate::transform::date_shift::DateShifter;
use crate::transform::dates::Date;
use crate::transform::fpe::FpeCipher;
use crate::transform::generalize::Generalizer;
use crate::transform::hierarchy::Hierarchy;
use crate::transform::mask::mask_value;
use crate::transform::noise::Noiser;
use crate::transform::pseudonymize::Pseudonymizer;
use crate::transform::redact::Redactor;

/// What a compiled policy needs from outside the engine: the key, today's date, and the
/// hierarchy files the policy names, already read and parsed (by their name in the policy).
#[derive(Debug, Default)]
pub struct Resources {
    /// The policy's key, when it uses keyed operators.
    pub key: Option<Key>,
    /// The reference date of age bands without `as_of`.
    pub today: Option<Date>,
    /// Parsed hierarchies by the file name the policy gives.
    pub hierarchies: HashMap<String, Arc<Hierarchy>>,
}

/// Errors applying a policy.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A value could not be transformed and the policy says to fail.
    #[error(
        "row {row}, column {column:?}: {reason}; nothing was written (on_invalid = \"fail\"; \"null\" or \"suppress_row\" would go on)"
    )]
    Invalid {
        /// 1-based data row of the input (the header is not counted).
        row: u64,
        /// The column.
        column: String,
        /// Why, without the value.
        reason: Invalid,
    },
    /// A column's type cannot be read as text.
    #[error("column {column:?}: cannot read {data_type} values as text")]
    Type { column: String, data_type: String },
    /// Arrow failed to assemble the output.
    #[error("cannot assemble the output batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// One column operator, ready to run.
pub enum ColumnOp {
    /// Pass through unchanged (any type).
    Keep,
    /// Leave out.
    Drop,
    /// Mask characters.
    Mask {
        keep_first: usize,
        keep_last: usize,
        mask_char: char,
    },
    /// Redact free text.
    Redact(Mutex<Redactor>),
    /// Keyed pseudonyms.
    Pseudonymize(Pseudonymizer),
    /// Format-preserving encryption.
    EncryptFpe {
        cipher: FpeCipher,
        spec: crate::policy::FpeSpec,
    },
    /// Generalization.
    Generalize(Generalizer),
    /// Keyed date shifts; `by` is the input index of the identifier column.
    DateShift { shifter: DateShifter, by: usize },
    /// Bounded noise.
    Noise(Mutex<Noiser>),
}

// Operators hold keys and buffers: Debug shows which operator, nothing inside it.
impl std::fmt::Debug for ColumnOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            ColumnOp::Keep => "keep",
            ColumnOp::Drop => "drop",
            ColumnOp::Mask { .. } => "mask",
            ColumnOp::Redact(_) => "redact",
            ColumnOp::Pseudonymize(_) => "pseudonymize",
            ColumnOp::EncryptFpe { .. } => "encrypt_fpe",
            ColumnOp::Generalize(_) => "generalize",
            ColumnOp::DateShift { .. } => "date_shift",
            ColumnOp::Noise(_) => "noise",
        };
        write!(f, "ColumnOp({name})")
    }
}

/// One column of a batch as text.
fn text(batch: &RecordBatch, i: usize) -> Result<StringArray, ApplyError> {
    let col = batch.column(i);
    let type_error = || ApplyError::Type {
        column: batch.schema().field(i).name().clone(),
        data_type: col.data_type().to_string(),
    };
    let cast = arrow_cast::cast(col, &DataType::Utf8).map_err(|_| type_error())?;
    cast.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(type_error)
}

/// Counts of one column's run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ColumnCounts {
    /// Non-null values the operator transformed.
    pub values: u64,
    /// Values that did not parse.
    pub invalid: u64,
}

impl ColumnOp {
    /// Compiles a policy operator. `index` maps column names to input indexes.
    pub fn compile(
        op: &Operator,
        res: &Resources,
        index: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<ColumnOp, String> {
        let key = || {
            res.key
                .as_ref()
                .ok_or_else(|| format!("{} needs the policy's key", op.name()))
        };
        Ok(match op {
            Operator::Keep => ColumnOp::Keep,
            Operator::Drop => ColumnOp::Drop,
            Operator::Mask {
                keep_first,
                keep_last,
                mask_char,
            } => ColumnOp::Mask {
                keep_first: *keep_first,
                keep_last: *keep_last,
                mask_char: *mask_char,
            },
            Operator::Redact {
                replace,
                types,
                strict,
            } => {
                let pseudonyms = match replace {
                    RedactReplace::Label => None,
                    RedactReplace::Pseudonym => Some(Pseudonymizer::new(
                        key()?,
                        crate::policy::PseudonymFormat::Hex,
                        Some(12),
                        "",
                    )),
                };
                let mode = if *strict {
                    DetectMode::Classification
                } else {
                    DetectMode::Redaction
                };
                ColumnOp::Redact(Mutex::new(
                    Redactor::new(types.clone(), pseudonyms).with_mode(mode),
                ))
            }
            Operator::Pseudonymize {
                format,
                length,
                prefix,
            } => ColumnOp::Pseudonymize(Pseudonymizer::new(key()?, *format, *length, prefix)),
            Operator::EncryptFpe(spec) => ColumnOp::EncryptFpe {
                cipher: FpeCipher::new(key()?),
                spec: *spec,
            },
            Operator::Generalize(g) => {
                let hierarchy = match g {
                    crate::policy::Generalization::Hierarchy { file, level } => {
                        let h = res
                            .hierarchies
                            .get(file)
                            .ok_or_else(|| format!("hierarchy {file:?} was not loaded"))?;
                        if *level > h.levels() {
                            return Err(format!(
                                "level {level} is above the {} levels of hierarchy {file:?}",
                                h.levels()
                            ));
                        }
                        Some(h.clone())
                    }
                    _ => None,
                };
                let today = res.today.ok_or("generalize needs today's date")?;
                ColumnOp::Generalize(Generalizer::new(g.clone(), today, hierarchy))
            }
            Operator::DateShift { max_days, by } => ColumnOp::DateShift {
                shifter: DateShifter::new(key()?, *max_days),
                by: index(by)
                    .ok_or_else(|| format!("date_shift by column {by:?} is not in the table"))?,
            },
            Operator::Noise {
                distribution,
                scale,
                bound,
            } => ColumnOp::Noise(Mutex::new(
                Noiser::new(*distribution, *scale, *bound).map_err(|e| e.to_string())?,
            )),
        })
    }

    /// Transforms one text column. Invalid values become null and their batch row indexes are
    /// pushed to `invalid` with the reason. `by` is the identifier column of `date_shift`.
    pub fn apply_text(
        &self,
        values: &StringArray,
        by: Option<&StringArray>,
        invalid: &mut Vec<(usize, Invalid)>,
    ) -> StringArray {
        let mut out = StringBuilder::with_capacity(
            values.len(),
            values.value_data().len() + values.len() * 4,
        );
        let mut buf = String::new();
        // Locks are per batch: a column's operator runs on one thread at a time anyway.
        let mut redactor = match self {
            ColumnOp::Redact(r) => Some(r.lock().unwrap_or_else(|p| p.into_inner())),
            _ => None,
        };
        let mut noiser = match self {
            ColumnOp::Noise(n) => Some(n.lock().unwrap_or_else(|p| p.into_inner())),
            _ => None,
        };
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else {
                out.append_null();
                continue;
            };
            let result = match self {
                ColumnOp::Keep => {
                    buf.clear();
                    buf.push_str(v);
                    Ok(())
                }
                ColumnOp::Drop => {
                    buf.clear();
                    Ok(())
                }
                ColumnOp::Mask {
                    keep_first,
                    keep_last,
                    mask_char,
                } => {
                    mask_value(v, *keep_first, *keep_last, *mask_char, &mut buf);
                    Ok(())
                }
                ColumnOp::Redact(_) => {
                    if let Some(r) = redactor.as_mut() {
                        r.apply(v, &mut buf);
                    }
                    Ok(())
                }
                ColumnOp::Pseudonymize(p) => {
                    p.pseudonym(v, &mut buf);
                    Ok(())
                }
                ColumnOp::EncryptFpe { cipher, spec } => cipher.encrypt(*spec, v, &mut buf),
                ColumnOp::Generalize(g) => g.apply(v, &mut buf),
                ColumnOp::DateShift { shifter, .. } => {
                    let person = by.and_then(|b| b.is_valid(i).then(|| b.value(i)));
                    shifter.apply(v, person, &mut buf)
                }
                ColumnOp::Noise(_) => match noiser.as_mut() {
                    Some(n) => n.apply(v, &mut buf),
                    None => Err(Invalid("noise source unavailable")),
                },
            };
            match result {
                Ok(()) => out.append_value(&buf),
                Err(reason) => {
                    invalid.push((i, reason));
                    out.append_null();
                }
            }
        }
        out.finish()
    }

    /// The input index of the column this operator also reads, if any.
    pub fn by(&self) -> Option<usize> {
        match self {
            ColumnOp::DateShift { by, .. } => Some(*by),
            _ => None,
        }
    }
}

struct Compiled {
    rule: ColumnRule,
    input: usize,
    op: ColumnOp,
}

/// A policy compiled against one table schema.
pub struct CompiledPolicy {
    columns: Vec<Compiled>,
    suppress: Vec<(SuppressRule, usize)>,
    on_invalid: OnInvalid,
    output: SchemaRef,
}

/// What one run did, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunCounts {
    /// Rows read.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows left out by `[[suppress_rows]]`.
    pub rows_suppressed_by_rule: u64,
    /// Rows left out because a value did not parse (`on_invalid = "suppress_row"`).
    pub rows_suppressed_invalid: u64,
    /// Values set to null because they did not parse (`on_invalid = "null"`).
    pub values_nulled: u64,
    /// Per column: operator and counts.
    pub columns: BTreeMap<String, ColumnReportCounts>,
}

/// One column's line in [`RunCounts`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct ColumnReportCounts {
    /// The operator's name.
    pub op: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: ColumnCounts,
}

impl CompiledPolicy {
    /// Compiles `policy` for a table with `schema`; the policy must already pass
    /// [`Policy::check_columns`] (checked again here, so nothing runs on a mismatch).
    pub fn compile(
        policy: &Policy,
        schema: &Schema,
        res: &Resources,
    ) -> Result<CompiledPolicy, Vec<PolicyError>> {
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut errors = policy.check_columns(&names);
        if !errors.is_empty() {
            return Err(errors);
        }
        let index = |name: &str| names.iter().position(|n| n == name);
        let mut columns = Vec::new();
        for rule in &policy.columns {
            let Some(input) = index(&rule.name) else {
                continue;
            };
            match ColumnOp::compile(&rule.operator, res, &index) {
                Ok(op) => columns.push(Compiled {
                    rule: rule.clone(),
                    input,
                    op,
                }),
                Err(message) => errors.push(PolicyError {
                    line: rule.line,
                    message: format!("column {:?}: {message}", rule.name),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Output columns keep the table's order, whatever the policy's order.
        columns.sort_by_key(|c| c.input);
        let fields: Vec<Field> = columns
            .iter()
            .filter(|c| !matches!(c.op, ColumnOp::Drop))
            .map(|c| match c.op {
                ColumnOp::Keep => schema.field(c.input).clone(),
                _ => Field::new(c.rule.name.clone(), DataType::Utf8, true),
            })
            .collect();
        let suppress = policy
            .suppress_rows
            .iter()
            .filter_map(|r| index(&r.column).map(|i| (r.clone(), i)))
            .collect();
        Ok(CompiledPolicy {
            columns,
            suppress,
            on_invalid: policy.dataset.on_invalid,
            output: Arc::new(Schema::new(fields)),
        })
    }

    /// The schema of the output.
    pub fn output_schema(&self) -> SchemaRef {
        self.output.clone()
    }

    /// Applies the policy to one batch whose first row is data row `first_row` (0-based) of the
    /// input, adding to `counts`.
    ///
    /// Rows a `[[suppress_rows]]` rule matches are removed first; nothing else is computed or
    /// counted for them. Operators then run on the remaining rows, and `on_invalid` decides
    /// about the values they cannot parse. `values` counts the values transformed into the
    /// output (`keep` and `drop` transform none).
    pub fn apply(
        &self,
        batch: &RecordBatch,
        first_row: u64,
        counts: &mut RunCounts,
    ) -> Result<RecordBatch, ApplyError> {
        counts.rows_in += batch.num_rows() as u64;
        let invalid_error = |row: u64, column: &str, reason: Invalid| ApplyError::Invalid {
            row: first_row + row + 1,
            column: column.to_string(),
            reason,
        };
        let mut by_rule = vec![false; batch.num_rows()];
        for (rule, i) in &self.suppress {
            let values = text(batch, *i)?;
            for (row, slot) in by_rule.iter_mut().enumerate() {
                let v = values.is_valid(row).then(|| values.value(row));
                match rule.matches(v) {
                    Ok(m) => *slot |= m,
                    // Under "null" an unreadable value neither matches nor stops the run; under
                    // "suppress_row" its row goes, like any row with an invalid value.
                    Err(reason) => match self.on_invalid {
                        OnInvalid::Fail => {
                            return Err(invalid_error(row as u64, &rule.column, reason));
                        }
                        OnInvalid::SuppressRow => *slot = true,
                        OnInvalid::Null => {}
                    },
                }
            }
        }
        let suppressed = by_rule.iter().filter(|s| **s).count();
        counts.rows_suppressed_by_rule += suppressed as u64;
        // Original row numbers of the rows that remain, for error messages.
        let (batch, rows): (RecordBatch, Vec<u64>) = if suppressed == 0 {
            (batch.clone(), (0..batch.num_rows() as u64).collect())
        } else {
            let keep = BooleanArray::from(by_rule.iter().map(|s| !s).collect::<Vec<_>>());
            let rows = (0..batch.num_rows() as u64)
                .filter(|r| !by_rule[*r as usize])
                .collect();
            (
                arrow_select::filter::filter_record_batch(batch, &keep)?,
                rows,
            )
        };
        let n = batch.num_rows();
        let mut bad_rows = vec![false; n];
        let mut out: Vec<ArrayRef> = Vec::with_capacity(self.output.fields().len());
        let mut transformed = Vec::new();
        for c in &self.columns {
            counts
                .columns
                .entry(c.rule.name.clone())
                .or_insert_with(|| ColumnReportCounts {
                    op: c.rule.operator.name().to_string(),
                    ..Default::default()
                });
            match &c.op {
                ColumnOp::Drop => {}
                ColumnOp::Keep => out.push(batch.column(c.input).clone()),
                op => {
                    let values = text(&batch, c.input)?;
                    let by = match op.by() {
                        Some(b) => Some(text(&batch, b)?),
                        None => None,
                    };
                    let mut invalid = Vec::new();
                    let result = op.apply_text(&values, by.as_ref(), &mut invalid);
                    if let (OnInvalid::Fail, Some((row, reason))) =
                        (self.on_invalid, invalid.first())
                    {
                        return Err(invalid_error(rows[*row], &c.rule.name, *reason));
                    }
                    for (row, _) in &invalid {
                        bad_rows[*row] = true;
                    }
                    if let Some(entry) = counts.columns.get_mut(&c.rule.name) {
                        entry.counts.invalid += invalid.len() as u64;
                    }
                    if self.on_invalid == OnInvalid::Null {
                        counts.values_nulled += invalid.len() as u64;
                    }
                    let result = Arc::new(result);
                    transformed.push((c.rule.name.clone(), result.clone()));
                    out.push(result);
                }
            }
        }
        let keep: Vec<bool> = if self.on_invalid == OnInvalid::SuppressRow {
            bad_rows.iter().map(|b| !b).collect()
        } else {
            vec![true; n]
        };
        counts.rows_suppressed_invalid += keep.iter().filter(|k| !**k).count() as u64;
        for (name, array) in &transformed {
            let written = (0..n).filter(|&i| keep[i] && array.is_valid(i)).count();
            if let Some(entry) = counts.columns.get_mut(name) {
                entry.counts.values += written as u64;
            }
        }
        let output = RecordBatch::try_new(self.output.clone(), out)?;
        let output = if keep.iter().all(|k| *k) {
            output
        } else {
            arrow_select::filter::filter_record_batch(&output, &BooleanArray::from(keep))?
        };
        counts.rows_out += output.num_rows() as u64;
        Ok(output)
    }
}
