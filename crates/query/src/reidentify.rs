//! Re-identification for the key holder as a DataFusion plan: the table's stream, with every
//! column a policy encrypted (`encrypt_fpe`) decrypted by a UDF and the rest passed through.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::dataframe::DataFrame;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
};
use datafusion::prelude::{SessionContext, ident};
use pubdata_deid::policy::FpeSpec;
use pubdata_deid::transform::fpe::FpeCipher;
use pubdata_tables::TableReader;

use crate::plan::PlanError;
use crate::source::{ROW_COLUMN, reader_table};

/// A column to decrypt: its name and how it was encrypted (format, kept birth date, region table).
#[derive(Debug, Clone)]
pub struct Encrypted {
    /// The column.
    pub column: String,
    /// The policy's `encrypt_fpe` parameters for it.
    pub spec: FpeSpec,
}

/// `(value Utf8, row UInt64) -> Utf8`: one column decrypted; a value that does not decrypt stops
/// the run with its row and column named (reversing is for the key holder, who needs every
/// value back, not a null).
struct DecryptUdf {
    target: Encrypted,
    cipher: Arc<FpeCipher>,
    values: Arc<AtomicU64>,
    signature: Signature,
}

impl std::fmt::Debug for DecryptUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptUdf")
            .field("column", &self.target.column)
            .finish_non_exhaustive()
    }
}

impl PartialEq for DecryptUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.values, &other.values) && self.target.column == other.target.column
    }
}
impl Eq for DecryptUdf {}
impl Hash for DecryptUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.target.column.hash(state);
    }
}

impl ScalarUDFImpl for DecryptUdf {
    fn name(&self) -> &str {
        "pd_decrypt_fpe"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let text = arrays[0]
            .as_string_opt::<i32>()
            .ok_or_else(|| DataFusionError::Internal("expected Utf8".into()))?;
        let rows = arrays[1]
            .as_primitive_opt::<UInt64Type>()
            .ok_or_else(|| DataFusionError::Internal("expected row numbers".into()))?;
        let mut out = StringBuilder::with_capacity(text.len(), text.value_data().len());
        let mut buf = String::new();
        let mut n = 0u64;
        for (i, v) in text.iter().enumerate() {
            match v {
                None => out.append_null(),
                Some(v) => {
                    self.cipher
                        .decrypt(self.target.spec, v, &mut buf)
                        .map_err(|reason| {
                            DataFusionError::Execution(format!(
                                "row {}, column {:?}: {reason}",
                                rows.value(i),
                                self.target.column
                            ))
                        })?;
                    out.append_value(&buf);
                    n += 1;
                }
            }
        }
        self.values.fetch_add(n, Ordering::Relaxed);
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The plan that decrypts `targets` in `reader`'s rows; returns it with the counters of rows
/// read and values decrypted. A target the table lacks is an error naming it.
pub fn reidentify_frame(
    ctx: &SessionContext,
    reader: TableReader,
    targets: &[Encrypted],
    cipher: FpeCipher,
) -> std::result::Result<(DataFrame, Arc<AtomicU64>, Arc<AtomicU64>), PlanError> {
    let schema = reader.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if let Some(t) = targets.iter().find(|t| !names.contains(&t.column)) {
        return Err(PlanError::DataFusion(DataFusionError::Plan(format!(
            "column {:?}, encrypted by the policy, is not in the table",
            t.column
        ))));
    }
    let rows_read = Arc::new(AtomicU64::new(0));
    let values = Arc::new(AtomicU64::new(0));
    let cipher = Arc::new(cipher);
    let frame = ctx.read_table(reader_table(reader, rows_read.clone())?)?;
    let projection = names
        .iter()
        .map(|name| match targets.iter().find(|t| &t.column == name) {
            Some(t) => ScalarUDF::new_from_impl(DecryptUdf {
                target: t.clone(),
                cipher: cipher.clone(),
                values: values.clone(),
                signature: Signature::any(2, Volatility::Volatile),
            })
            .call(vec![cast(ident(name), DataType::Utf8), ident(ROW_COLUMN)])
            .alias(name),
            None => ident(name),
        })
        .collect::<Vec<_>>();
    Ok((frame.select(projection)?, rows_read, values))
}
