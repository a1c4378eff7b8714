//! Dataset versions by name: `e_…` (an entry id with `-` as `_`) is the entry's current version
//! and `e_…_vN` its version N. SQL and jobs name versions this way.

use pubdata_platform::store::{Store, StoreError, VersionInfo};

/// The entry id and version (None: the current one) a table name stands for, if any.
pub fn parse(name: &str) -> Option<(String, Option<i64>)> {
    let rest = name.strip_prefix("e_")?;
    // Entry ids are `e-` and base32 letters, so `_v` can only start a version suffix.
    match rest.rsplit_once("_v") {
        Some((id, n)) => {
            let n = n.parse::<i64>().ok().filter(|n| *n > 0)?;
            Some((format!("e-{id}"), Some(n)))
        }
        None => Some((format!("e-{rest}"), None)),
    }
}

/// The table name of an entry's current version.
pub fn table_name(entry_id: &str) -> String {
    entry_id.replace('-', "_")
}

/// The table name of an entry's version N.
pub fn version_name(entry_id: &str, version: i64) -> String {
    format!("{}_v{version}", table_name(entry_id))
}

/// The version a table name stands for, if the entry and the version exist.
pub async fn resolve(store: &Store, name: &str) -> Result<Option<VersionInfo>, StoreError> {
    let Some((entry_id, version)) = parse(name) else {
        return Ok(None);
    };
    resolve_version(store, &entry_id, version).await
}

/// An entry's version N, or its current version for None, if both exist.
pub async fn resolve_version(
    store: &Store,
    entry_id: &str,
    version: Option<i64>,
) -> Result<Option<VersionInfo>, StoreError> {
    match store.entry(entry_id).await {
        Ok(_) => {}
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    let versions = store.versions(entry_id).await?;
    Ok(match version {
        Some(n) => versions.into_iter().find(|v| v.version == n),
        // Newest first: the first is the current one.
        None => versions.into_iter().next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_entries_and_versions() {
        assert_eq!(parse("e_abc"), Some(("e-abc".into(), None)));
        assert_eq!(parse("e_abc_v3"), Some(("e-abc".into(), Some(3))));
        assert_eq!(parse("e_abc_v0"), None);
        assert_eq!(parse("e_abc_vx"), None);
        assert_eq!(parse("users"), None);
        assert_eq!(version_name("e-abc", 2), "e_abc_v2");
        assert_eq!(
            parse(&version_name("e-abc", 2)),
            Some(("e-abc".into(), Some(2)))
        );
    }
}
