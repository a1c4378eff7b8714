//! Suggested de-identification policies, written in the TOML format `pubdata deid` reads.
//!
//! The suggestion is a starting point for a data officer, not a decision: every column gets the
//! operator a careful officer would start from, with the scan's reason as a comment beside it.

use std::fmt::Write;

use pubdata_detect::PiiType;

use crate::scan::{ColumnReport, Role};

/// Environment variable the suggested policy names for the key of keyed operators.
pub const DEFAULT_KEY_ENV: &str = "PUBDATA_KEY";

/// The operator and parameters (TOML `key = value` pairs) suggested for a column.
fn suggestion(col: &ColumnReport) -> (&'static str, &'static str) {
    if col.is_free_text() {
        return if col.counts.is_empty() {
            ("keep", "")
        } else {
            ("redact", "replace = \"label\"")
        };
    }
    let Some(kind) = col.pii_type() else {
        return ("keep", "");
    };
    match kind {
        PiiType::CnResidentId
        | PiiType::CnUscc
        | PiiType::Passport
        | PiiType::CnHkMacauPermit
        | PiiType::CnTaiwanPermit => ("pseudonymize", "format = \"hex\"\nlength = 16"),
        PiiType::PersonName | PiiType::Email | PiiType::IpAddress => {
            ("pseudonymize", "format = \"hex\"\nlength = 12")
        }
        PiiType::CnMobile => ("mask", "keep_first = 3\nkeep_last = 4\nmask_char = \"*\""),
        PiiType::CnLandline => ("mask", "keep_first = 4\nkeep_last = 0\nmask_char = \"*\""),
        PiiType::BankCard => ("mask", "keep_first = 6\nkeep_last = 4\nmask_char = \"*\""),
        PiiType::CnLicensePlate => ("mask", "keep_first = 2\nkeep_last = 0\nmask_char = \"*\""),
        PiiType::Address => ("generalize", "to = \"district\""),
        PiiType::DateOfBirth => ("generalize", "to = \"year\""),
        PiiType::PostalCode => ("generalize", "prefix = 3"),
        PiiType::GeoCoordinate => ("generalize", "round = 2"),
        PiiType::Gender | PiiType::OrganizationName => ("keep", ""),
    }
}

/// A TOML policy for the scanned table, one `[columns."name"]` table per column, in table order.
pub fn suggest_policy(source: &str, columns: &[ColumnReport]) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail, so the fmt::Results below are ignored.
    let _ = writeln!(
        out,
        "# De-identification policy suggested by `pubdata scan` for {source}."
    );
    let _ = writeln!(
        out,
        "# Review every column before use: check it with `pubdata policy check`."
    );
    let _ = writeln!(out, "version = 1\n\n[dataset]");
    let _ = writeln!(
        out,
        "# Keys never live in a policy: name an environment variable or a key file."
    );
    let _ = writeln!(out, "key_env = \"{DEFAULT_KEY_ENV}\"");
    let _ = writeln!(
        out,
        "# What happens to a value its operator cannot parse: \"fail\", \"null\" or \"suppress_row\"."
    );
    let _ = writeln!(out, "on_invalid = \"fail\"");
    for col in columns {
        let (op, params) = suggestion(col);
        let kind = col.kind.as_deref().unwrap_or("-");
        let _ = writeln!(
            out,
            "\n# {kind}, {}: {}",
            col.role.name(),
            col.reason.replace('\n', " ")
        );
        if col.role == Role::Sensitive || (col.role == Role::QuasiIdentifier && op == "keep") {
            let _ = writeln!(
                out,
                "# Kept as is: protect it with the privacy model (k-anonymity, l-diversity) of the release."
            );
        }
        let _ = writeln!(out, "[columns.{}]", toml_key(&col.name));
        let _ = writeln!(out, "op = \"{op}\"");
        if !params.is_empty() {
            let _ = writeln!(out, "{params}");
        }
    }
    out
}

/// A TOML key for any column name: always quoted, so Chinese, spaces and dots are safe.
fn toml_key(name: &str) -> String {
    toml::Value::String(name.to_string()).to_string()
}
