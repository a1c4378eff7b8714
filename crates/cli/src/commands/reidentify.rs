//! `pubdata reidentify`: reverse `encrypt_fpe` for the key holder. Every column the policy
//! encrypted is decrypted; all other columns are copied as they are.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use clap::Args;
use pubdata_deid::keys::Key;
use pubdata_deid::policy::{FpeFormat, Operator, Policy};
use pubdata_deid::transform::fpe::FpeCipher;
use pubdata_tables::{Format, ReadOptions, TableWriter};

use crate::progress::{rows_bar, thousands};
use pubdata_release::deid::policy_errors;

/// Arguments of `pubdata reidentify`.
#[derive(Args)]
pub struct ReidentifyArgs {
    /// The policy the table was de-identified with (it names the key and the encrypted columns).
    #[arg(long)]
    pub policy: PathBuf,
    /// The de-identified table.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the table with the encrypted columns decrypted (.csv, .tsv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn encrypted_columns(policy: &Policy) -> Vec<(String, FpeFormat, bool)> {
    policy
        .columns
        .iter()
        .filter_map(|c| match c.operator {
            Operator::EncryptFpe { format, keep_birth } => {
                Some((c.name.clone(), format, keep_birth))
            }
            _ => None,
        })
        .collect()
}

/// Runs `pubdata reidentify`.
pub fn run(args: ReidentifyArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.policy)
        .with_context(|| format!("{}: cannot read", args.policy.display()))?;
    let policy = Policy::parse(&text).map_err(|e| {
        anyhow::anyhow!("{}", policy_errors(&args.policy.display().to_string(), &e))
    })?;
    let targets = encrypted_columns(&policy);
    if targets.is_empty() {
        bail!(
            "{}: no column uses encrypt_fpe, so there is nothing to reverse",
            args.policy.display()
        );
    }
    let Some(source) = &policy.dataset.key else {
        bail!("{}: the policy names no key", args.policy.display());
    };
    let key = Key::load(source, args.policy.parent().unwrap_or(Path::new(".")))?;
    let cipher = FpeCipher::new(&key);
    let reader = pubdata_tables::open(&args.input, &ReadOptions::default())?;
    let schema = reader.schema();
    let mut plan = Vec::new();
    for (name, format, keep_birth) in &targets {
        match schema.index_of(name) {
            Ok(i) => plan.push((i, name.clone(), *format, *keep_birth)),
            Err(_) => bail!(
                "{}: column {name:?}, encrypted by the policy, is not in the table",
                args.input.display()
            ),
        }
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if plan.iter().any(|p| p.0 == i) {
                Field::new(f.name(), DataType::Utf8, true)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let out_schema = Arc::new(Schema::new(fields));
    let mut writer =
        TableWriter::create(&args.out, Format::from_path(&args.out)?, out_schema.clone())?;
    let bar = rows_bar(None, "decrypting");
    let (mut rows, mut values) = (0u64, 0u64);
    let mut buf = String::new();
    for batch in reader {
        let batch = batch?;
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        for (i, name, format, keep_birth) in &plan {
            let cast = arrow_cast::cast(batch.column(*i), &DataType::Utf8)?;
            let text = cast
                .as_any()
                .downcast_ref::<StringArray>()
                .context("a text column")?;
            let mut out = StringBuilder::with_capacity(text.len(), text.value_data().len());
            for (r, v) in text.iter().enumerate() {
                match v {
                    None => out.append_null(),
                    Some(v) => {
                        cipher
                            .decrypt(*format, *keep_birth, v, &mut buf)
                            .map_err(|reason| {
                                anyhow::anyhow!(
                                    "{}: row {}, column {name:?}: {reason}",
                                    args.input.display(),
                                    rows + r as u64 + 1
                                )
                            })?;
                        out.append_value(&buf);
                        values += 1;
                    }
                }
            }
            columns[*i] = Arc::new(out.finish());
        }
        writer.write(&RecordBatch::try_new(out_schema.clone(), columns)?)?;
        rows += batch.num_rows() as u64;
        bar.inc(batch.num_rows() as u64);
    }
    writer.finish()?;
    bar.finish_and_clear();
    eprintln!(
        "decrypted {} values in {} columns of {} rows; written to {}",
        thousands(values),
        plan.len(),
        thousands(rows),
        args.out.display()
    );
    Ok(())
}
