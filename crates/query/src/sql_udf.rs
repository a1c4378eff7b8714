//! The operators as SQL functions, for analysts and for plans written by hand:
//!
//! - `pd_mask(text, keep_first, keep_last)`
//! - `pd_pseudonymize(text)` (hex, 16 characters, with the session's key)
//! - `pd_encrypt_fpe(text, format)` / `pd_decrypt_fpe(text, format)`, format one of
//!   `resident_id`, `mobile`, `bank_card`, `digits` (resident IDs keep their birth date; no
//!   region table, so region codes are encrypted over all 10,000 values)
//! - `pd_generalize(text, to)`, `to` as in policies: `month`, `quarter`, `year`, `district`,
//!   `city`, `province`, `region_birth_year`
//! - `pd_redact(text)`
//!
//! A value a function cannot parse becomes NULL, never the clear value; policies choose
//! between failing, nulling and suppressing with `on_invalid` instead.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, StringArray, builder::StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use pubdata_deid::keys::Key;
use pubdata_deid::policy::{FpeFormat, FpeSpec, Generalization, PseudonymFormat};
use pubdata_deid::transform::Invalid;
use pubdata_deid::transform::dates::Date;
use pubdata_deid::transform::fpe::FpeCipher;
use pubdata_deid::transform::generalize::Generalizer;
use pubdata_deid::transform::mask::mask_value;
use pubdata_deid::transform::pseudonymize::Pseudonymizer;
use pubdata_deid::transform::redact::Redactor;

enum Kind {
    Mask,
    Pseudonymize(Pseudonymizer),
    Fpe { cipher: FpeCipher, decrypt: bool },
    Generalize(Date),
    Redact(Mutex<Redactor>),
}

/// One SQL function.
struct SqlUdf {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

impl std::fmt::Debug for SqlUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for SqlUdf {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for SqlUdf {}
impl Hash for SqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

fn literal_int(name: &str, v: &ColumnarValue) -> Result<usize> {
    match v {
        ColumnarValue::Scalar(s) => match s.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(n)) if n >= 0 => Ok(n as usize),
            _ => Err(DataFusionError::Plan(format!(
                "{name}: expected a whole number >= 0"
            ))),
        },
        ColumnarValue::Array(_) => Err(DataFusionError::Plan(format!(
            "{name}: parameters must be literals"
        ))),
    }
}

fn literal_str(name: &str, v: &ColumnarValue) -> Result<String> {
    match v {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        ) => Ok(s.clone()),
        _ => Err(DataFusionError::Plan(format!(
            "{name}: expected a string literal"
        ))),
    }
}

fn fpe_format(name: &str, s: &str) -> Result<FpeFormat> {
    s.parse()
        .map_err(|e: String| DataFusionError::Plan(format!("{name}: {e}")))
}

fn generalization(name: &str, s: &str) -> Result<Generalization> {
    Generalization::named_level(s).ok_or_else(|| {
        DataFusionError::Plan(format!(
            "{name}: unknown level {s:?} ({})",
            Generalization::level_names().join(", ")
        ))
    })
}

impl ScalarUDFImpl for SqlUdf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let input = args.args[0].to_array(n)?;
        let input = datafusion::arrow::compute::cast(&input, &DataType::Utf8)?;
        let values = input
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| DataFusionError::Internal("cast to Utf8".into()))?;
        type Apply<'a> = Box<dyn FnMut(&str, &mut String) -> std::result::Result<(), Invalid> + 'a>;
        let mut redactor = match &self.kind {
            Kind::Redact(r) => Some(r.lock().unwrap_or_else(|p| p.into_inner())),
            _ => None,
        };
        let mut apply: Apply = match &self.kind {
            Kind::Mask => {
                let (first, last) = (
                    literal_int(self.name, &args.args[1])?,
                    literal_int(self.name, &args.args[2])?,
                );
                Box::new(move |v, out| {
                    mask_value(v, first, last, '*', out);
                    Ok(())
                })
            }
            Kind::Pseudonymize(p) => Box::new(move |v, out| {
                p.pseudonym(v, out);
                Ok(())
            }),
            Kind::Fpe { cipher, decrypt } => {
                let format = fpe_format(self.name, &literal_str(self.name, &args.args[1])?)?;
                let spec = FpeSpec {
                    format,
                    keep_birth: true,
                    regions: None,
                };
                let decrypt = *decrypt;
                Box::new(move |v, out| {
                    if decrypt {
                        cipher.decrypt(spec, v, out)
                    } else {
                        cipher.encrypt(spec, v, out)
                    }
                })
            }
            Kind::Generalize(today) => {
                let rule = generalization(self.name, &literal_str(self.name, &args.args[1])?)?;
                let g = Generalizer::new(rule, *today, None);
                Box::new(move |v, out| g.apply(v, out))
            }
            Kind::Redact(_) => match redactor.as_mut() {
                Some(r) => Box::new(move |v, out| {
                    r.apply(v, out);
                    Ok(())
                }),
                None => return Err(DataFusionError::Internal("redactor".into())),
            },
        };
        let mut out = StringBuilder::with_capacity(values.len(), values.value_data().len());
        let mut buf = String::new();
        for v in values.iter() {
            match v.map(|v| apply(v, &mut buf)) {
                Some(Ok(())) => out.append_value(&buf),
                Some(Err(_)) | None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Registers the SQL functions on `ctx`; the keyed ones only when a key is given.
pub fn register_udfs(ctx: &SessionContext, key: Option<&Key>, today: Date) {
    let mut udfs = vec![
        SqlUdf {
            name: "pd_mask",
            kind: Kind::Mask,
            signature: Signature::any(3, Volatility::Immutable),
        },
        SqlUdf {
            name: "pd_generalize",
            kind: Kind::Generalize(today),
            signature: Signature::any(2, Volatility::Immutable),
        },
        SqlUdf {
            name: "pd_redact",
            kind: Kind::Redact(Mutex::new(Redactor::new(None, None))),
            signature: Signature::any(1, Volatility::Immutable),
        },
    ];
    if let Some(key) = key {
        udfs.push(SqlUdf {
            name: "pd_pseudonymize",
            kind: Kind::Pseudonymize(Pseudonymizer::new(key, PseudonymFormat::Hex, Some(16), "")),
            signature: Signature::any(1, Volatility::Immutable),
        });
        for (name, decrypt) in [("pd_encrypt_fpe", false), ("pd_decrypt_fpe", true)] {
            udfs.push(SqlUdf {
                name,
                kind: Kind::Fpe {
                    cipher: FpeCipher::new(key),
                    decrypt,
                },
                signature: Signature::any(2, Volatility::Immutable),
            });
        }
    }
    for udf in udfs {
        ctx.register_udf(ScalarUDF::new_from_impl(udf));
    }
}
