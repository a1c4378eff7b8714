//! Re-identification for the key holder: every column the policy encrypted (`encrypt_fpe`) is
//! decrypted, as a DataFusion plan over the input's stream; all other columns are copied.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use pubdata_deid::keys::Key;
use pubdata_deid::policy::{KeySource, Operator, Policy};
use pubdata_deid::transform::fpe::FpeCipher;
use pubdata_query::reidentify::{Encrypted, reidentify_frame};

use crate::{Control, Input, Output, PolicySource, ReleaseError};

/// What a run decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reidentified {
    /// Rows read (and written).
    pub rows: u64,
    /// Values decrypted.
    pub values: u64,
    /// Columns decrypted.
    pub columns: usize,
}

/// Decrypts `input` into `output` under the policy it was de-identified with.
pub fn reidentify(
    source: &PolicySource,
    input: &Input,
    output: &Output,
    control: &Control,
) -> Result<Reidentified, ReleaseError> {
    let label = &source.label;
    let policy = Policy::parse(&source.text)
        .map_err(|e| ReleaseError::invalid(crate::deid::policy_errors(label, &e)))?;
    let targets: Vec<Encrypted> = policy
        .columns
        .iter()
        .filter_map(|c| match c.operator {
            Operator::EncryptFpe(spec) => Some(Encrypted {
                column: c.name.clone(),
                spec,
            }),
            _ => None,
        })
        .collect();
    if targets.is_empty() {
        return Err(ReleaseError::invalid(format!(
            "{label}: no column uses encrypt_fpe, so there is nothing to reverse"
        )));
    }
    let Some(key_source) = &policy.dataset.key else {
        return Err(ReleaseError::invalid(format!(
            "{label}: the policy names no key"
        )));
    };
    let base = match key_source {
        KeySource::File(_) => source.base_for("a key file")?,
        KeySource::Env(_) => std::path::Path::new("."),
    };
    let key = Key::load(key_source, base).map_err(ReleaseError::invalid)?;
    output.format()?;
    let reader = input.open()?;
    let ctx = datafusion::prelude::SessionContext::new_with_config(
        datafusion::prelude::SessionConfig::new()
            .with_target_partitions(1)
            .with_batch_size(input.options().batch_size.max(1)),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(ReleaseError::invalid)?;
    runtime.block_on(async {
        let (frame, rows_read, values) =
            reidentify_frame(&ctx, reader, &targets, FpeCipher::new(&key))
                .map_err(|e| ReleaseError::invalid(format!("{}: {e}", input.label())))?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let mut stream = frame.execute_stream().await.map_err(crate::plan_error)?;
        let mut writer = output.writer(schema)?;
        control.report("decrypting", 0);
        while let Some(batch) = stream.next().await {
            control.check()?;
            let batch = batch.map_err(|e| match crate::plan_error(e) {
                ReleaseError::Invalid(m) => {
                    ReleaseError::Invalid(format!("{}: {m}", input.label()))
                }
                other => other,
            })?;
            writer.write(&batch)?;
            control.report("decrypting", rows_read.load(Ordering::Relaxed));
        }
        control.check()?;
        writer.finish()?;
        Ok(Reidentified {
            rows: rows_read.load(Ordering::Relaxed),
            values: values.load(Ordering::Relaxed),
            columns: targets.len(),
        })
    })
}
