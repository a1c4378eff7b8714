//! Formal anonymization for pubdata: generalization hierarchies, privacy models (k-anonymity,
//! l-diversity, t-closeness), quality metrics, the optimal full-domain generalization search and
//! re-identification risk. Pure Rust over integer-encoded frequency tables: reading tables and
//! running DataFusion aggregates are the callers' business.

pub mod arx_cases;
mod arx_check;
mod arx_walk;
pub mod config;
pub mod domain;
pub mod evaluate;
pub mod flash;
pub mod freq;
pub mod hierarchy;
mod kcheck;
pub mod lattice;
pub mod metrics;
pub mod models;
pub mod policy;
pub mod release;
pub mod report;
pub mod report_html;
pub mod risk;
pub mod search;
pub mod tcloseness;
