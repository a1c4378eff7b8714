//! Running the `pubdata` binary from tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn pubdata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(args)
        .output()
        .expect("binary runs")
}

pub fn ok(args: &[&str]) -> String {
    let out = pubdata(args);
    assert!(
        out.status.success(),
        "pubdata {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs a command that must fail and returns its standard error.
pub fn fails(args: &[&str]) -> String {
    let out = pubdata(args);
    assert!(!out.status.success(), "pubdata {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one-line error expected, got: {err}"
    );
    err
}

pub fn gen_citizens(dir: &Path, rows: u32, seed: u32, name: &str) -> PathBuf {
    let out = dir.join(name);
    let truth = dir.join(format!("{name}.truth.json"));
    ok(&[
        "gen",
        "citizens",
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        s(&out),
        "--truth",
        s(&truth),
    ]);
    out
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A SQLite store in `dir` seeded with the demo province, and the id of the water company's
/// per-street entry (`street_code,month,usage_m3`).
pub async fn demo_store_with_streets(dir: &Path) -> (pubdata_platform::store::Store, String) {
    let url = pubdata_platform::store::Store::sqlite_url(&dir.join("metadata.db"));
    let store = pubdata_platform::store::Store::open(&url)
        .await
        .expect("store");
    pubdata_platform::demo::seed(&store).await.expect("demo");
    let (entries, _) = store
        .entries(&pubdata_platform::store::EntryQuery {
            text: Some("按街道汇总".into()),
            ..Default::default()
        })
        .await
        .expect("search");
    let id = entries[0].id.clone();
    (store, id)
}
