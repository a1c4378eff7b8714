//! Releases: the de-identification and anonymization pipelines every door runs. A pipeline reads
//! an [`Input`] (a file, or a dataset version's parts in the object store), writes an [`Output`]
//! (a file, or a new object in the store) whole or not at all, reports progress through a
//! callback and stops when cancelled. The command line draws its bars from the callback; the
//! server's jobs record it.

pub mod anonymize;
pub mod deid;
pub mod grouped;
pub mod input;
pub mod jobs;
pub mod names;
pub mod output;
pub mod publish;
pub mod reidentify;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use input::Input;
pub use output::Output;

/// Errors of a pipeline. Messages name the input, the policy (and its line) or the column at fault.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The policy, the input or a resource it names is wrong; the message says where.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing failed.
    #[error(transparent)]
    Table(#[from] pubdata_tables::TableError),
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] pubdata_platform::storage::StorageError),
    /// The run was cancelled; nothing was written.
    #[error("cancelled; nothing written")]
    Cancelled,
}

impl ReleaseError {
    /// An error with a message that already names what is wrong.
    pub fn invalid(message: impl std::fmt::Display) -> ReleaseError {
        ReleaseError::Invalid(message.to_string())
    }
}

/// Where a pipeline is: the phase (`"counting"`, `"de-identifying"`, `"writing"`) and the rows read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// What the pipeline is doing.
    pub phase: &'static str,
    /// Rows read in this phase so far.
    pub rows: u64,
}

/// How a caller follows and stops a pipeline.
#[derive(Clone, Default)]
pub struct Control {
    progress: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
    cancel: Arc<AtomicBool>,
}

impl Control {
    /// A control that reports progress to `f`.
    pub fn with_progress(f: impl Fn(Progress) + Send + Sync + 'static) -> Control {
        Control {
            progress: Some(Arc::new(f)),
            cancel: Arc::default(),
        }
    }

    /// Reports progress.
    pub fn report(&self, phase: &'static str, rows: u64) {
        if let Some(f) = &self.progress {
            f(Progress { phase, rows });
        }
    }

    /// Asks the pipeline to stop at its next batch.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether the pipeline was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once cancelled: what pipelines call between batches.
    pub fn check(&self) -> Result<(), ReleaseError> {
        if self.is_cancelled() {
            Err(ReleaseError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// A policy's text with the name it goes by in messages and the folder its files resolve
/// against. A policy stored on the platform has no folder: it may not name files.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// What messages call the policy (its path, or `policy <name>`).
    pub label: String,
    /// The TOML text.
    pub text: String,
    /// The folder of the policy file, against which key and hierarchy files resolve.
    pub base: Option<std::path::PathBuf>,
}

impl PolicySource {
    /// Reads a policy file.
    pub fn read(path: &std::path::Path) -> Result<PolicySource, ReleaseError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ReleaseError::invalid(format!("{}: cannot read: {e}", path.display())))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        Ok(PolicySource {
            label: path.display().to_string(),
            text,
            base: Some(base),
        })
    }

    /// The folder files resolve against, or an error naming `what` when the policy has none.
    pub fn base_for(&self, what: &str) -> Result<&std::path::Path, ReleaseError> {
        self.base.as_deref().ok_or_else(|| {
            ReleaseError::invalid(format!(
                "{}: names {what}, but a policy stored on the platform cannot name files",
                self.label
            ))
        })
    }

    /// SHA-256 of the text, as hex.
    pub fn sha256(&self) -> String {
        hex_sha256(self.text.as_bytes())
    }
}

/// SHA-256 of some bytes, as lower-case hex.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes))
}

/// The time now as RFC 3339 UTC to the second, as reports carry it.
pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Maps a DataFusion error from a running plan to ours: the operators' own messages (row,
/// column, reason) need no DataFusion prefix.
pub(crate) fn plan_error(e: datafusion::error::DataFusionError) -> ReleaseError {
    match e {
        datafusion::error::DataFusionError::Execution(message) => ReleaseError::Invalid(message),
        other => ReleaseError::invalid(other),
    }
}

/// Checks a policy to be stored on the platform for `kind` jobs: it parses, it names no file
/// (a stored policy has no folder), and a key it names from the environment is there.
pub fn check_stored_policy(
    kind: pubdata_platform::store::JobKind,
    source: &PolicySource,
) -> Result<(), ReleaseError> {
    use pubdata_platform::store::JobKind;
    match kind {
        JobKind::Deid => {
            let policy = pubdata_deid::policy::Policy::parse(&source.text)
                .map_err(|e| ReleaseError::invalid(deid::policy_errors(&source.label, &e)))?;
            for rule in &policy.columns {
                if let pubdata_deid::policy::Operator::Generalize(
                    pubdata_deid::policy::Generalization::Hierarchy { file, .. },
                ) = &rule.operator
                {
                    source.base_for(&format!("hierarchy file {file}"))?;
                }
            }
            if let Some(key) = &policy.dataset.key
                && policy.columns.iter().any(|c| c.operator.is_keyed())
            {
                if let pubdata_deid::policy::KeySource::File(_) = key {
                    source.base_for("a key file")?;
                }
                pubdata_deid::keys::Key::load(key, std::path::Path::new(".")).map_err(|e| {
                    ReleaseError::invalid(format!("{}: cannot load the key: {e}", source.label))
                })?;
            }
            Ok(())
        }
        JobKind::Anonymize => anonymize::parse_policy(source).map(|_| ()),
        JobKind::Publish => Err(ReleaseError::invalid(
            "kind: a release is published through a de-identification (deid) policy; store it as one",
        )),
    }
}
