//! Column operators over Arrow string arrays: each takes a column and returns the transformed
//! column of the same length, nulls kept as nulls.
//!
//! Operators that parse their input (dates, numbers, identifiers) report a value they cannot
//! parse as [`Invalid`] instead of passing it through: what happens next is the policy's
//! `on_invalid`, decided by the caller, never a silent copy of the clear value.

pub mod date_shift;
pub mod dates;
pub mod fpe;
pub mod generalize;
pub mod hierarchy;
pub mod mask;
pub mod noise;
pub mod pseudonymize;
pub mod redact;

/// Why a value could not be transformed. It holds no part of the value, because reasons end up
/// in error messages, logs and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
