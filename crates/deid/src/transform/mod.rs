//! Column operators over Arrow string arrays: each takes a column and returns the transformed
//! column of the same length, nulls kept as nulls.

pub mod mask;
pub mod pseudonymize;
