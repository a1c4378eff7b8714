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
