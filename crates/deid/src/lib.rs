//! The de-identification engine: find personal information in tables, transform it, prove and
//! report what was done.
//!
//! This crate works on Apache Arrow arrays and nothing else: no files, no server, no database.
//! Readers and writers live in `pubdata-tables`, query plans in the DataFusion adapters.

pub mod apply;
pub mod hints;
pub mod policy;
pub mod scan;

pub use pubdata_detect as detect;
pub mod keys;
pub mod transform;
