//! DataFusion adapters of the de-identification engine: operators as scalar UDFs (`pd_mask`,
//! `pd_pseudonymize`, `pd_encrypt_fpe` ...), a table reader as a streaming table, and a policy as
//! a query plan. The engine crate stays on Arrow alone; everything DataFusion lives here.

pub mod datasets;
pub mod freq;
pub mod open;
pub mod plan;
pub mod policy_udf;
pub mod reidentify;
pub mod source;
pub mod sql_udf;

pub use plan::{PlanCounts, PlanError, deid_frame};
pub use sql_udf::register_udfs;
