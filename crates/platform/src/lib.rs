//! The public data platform's domain, independent of storage and HTTP: who holds and uses public
//! data (organizations, their kinds and levels, user roles), the public data catalog with the
//! regulation's rules on sharing and opening, and the hash-chained audit log.
//!
//! Storage (sqlx) and the web layer build on these types; the rules live here so that every door
//! (API, pages, command line) enforces the same ones.

pub mod access;
pub mod audit;
pub mod bulk;
pub mod catalog;
pub mod demo;
pub mod ingest;
mod key128;
pub mod opening;
pub mod org;
pub mod quality;
pub mod storage;
pub mod store;
pub mod sweep;
