//! Generalization hierarchies in ARX's CSV format live in `pubdata-anonymity`, beside the search
//! that uses them; the `generalize` operator reads the same files.

pub use pubdata_anonymity::hierarchy::{Hierarchy, HierarchyError};
