//! `pubdata deid` and `pubdata reidentify` as a data officer runs them.

mod common;

use std::path::Path;

use common::{fails, gen_citizens, ok, pubdata, s};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256(p: &Path) -> String {
    Sha256::digest(std::fs::read(p).expect("readable"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn csv_rows(p: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(p).expect("csv");
    let mut rows = vec![
        r.headers()
            .expect("header")
            .iter()
            .map(str::to_string)
            .collect(),
    ];
    rows.extend(
        r.records()
            .map(|rec| rec.expect("record").iter().map(str::to_string).collect()),
    );
    rows
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[test]
fn the_suggested_policy_runs_end_to_end_and_the_report_ties_files_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = gen_citizens(dir.path(), 300, 7, "citizens.csv");
    let policy = dir.path().join("policy.toml");
    ok(&["scan", s(&input), "--policy-out", s(&policy)]);
    ok(&["key", "new", "--out", s(&dir.path().join("release.key"))]);
    let text = std::fs::read_to_string(&policy)
        .expect("policy")
        .replace("key_env = \"PUBDATA_KEY\"", "key_file = \"release.key\"");
    std::fs::write(&policy, text).expect("write");
    let (out, report) = (dir.path().join("out.csv"), dir.path().join("report.json"));
    ok(&[
        "deid",
        "--policy",
        s(&policy),
        "--in",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&report),
    ]);

    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(r["input"]["sha256"], sha256(&input));
    assert_eq!(r["output"]["sha256"], sha256(&out));
    assert_eq!(r["policy"]["sha256"], sha256(&policy));
    assert_eq!(r["counts"]["rows_in"], 300);
    assert_eq!(r["counts"]["rows_out"], 300);
    assert_eq!(r["counts"]["columns"]["mobile"]["op"], "mask");
    assert_eq!(r["counts"]["columns"]["mobile"]["values"], 300);
    assert_eq!(r["key_id"].as_str().map(str::len), Some(16));

    let (before, after) = (csv_rows(&input), csv_rows(&out));
    // Per operator: the sum over its columns of the values present in the input.
    let masked: Vec<&String> = r["counts"]["columns"]
        .as_object()
        .expect("columns")
        .iter()
        .filter(|(_, c)| c["op"] == "mask")
        .map(|(name, _)| name)
        .collect();
    assert!(
        masked.len() >= 3,
        "the suggestion masks mobiles, landlines and cards: {masked:?}"
    );
    let present: usize = masked
        .iter()
        .map(|c| column(&before, c).iter().filter(|v| !v.is_empty()).count())
        .sum();
    assert_eq!(r["operators"]["mask"]["values"], present as u64);
    let written = std::fs::read_to_string(&out).expect("output");
    for name in ["name", "resident_id", "mobile", "email", "bank_card"] {
        for v in column(&before, name) {
            assert!(!written.contains(&v), "{name} value {v} left in the clear");
        }
    }
    assert!(column(&after, "mobile").iter().all(|m| m.contains("****")));
}

const FPE_POLICY: &str = r#"version = 1
[dataset]
key_file = "k.key"
on_invalid = "ON_INVALID"
[columns.id]
op = "encrypt_fpe"
format = "resident_id"
keep_birth = true
[columns.phone]
op = "encrypt_fpe"
format = "mobile"
[columns.note]
op = "keep"
"#;

fn fpe_setup(dir: &Path, on_invalid: &str, rows: &str) -> (String, String) {
    if !dir.join("k.key").exists() {
        ok(&["key", "new", "--out", s(&dir.join("k.key"))]);
    }
    std::fs::write(
        dir.join("p.toml"),
        FPE_POLICY.replace("ON_INVALID", on_invalid),
    )
    .expect("policy");
    std::fs::write(dir.join("in.csv"), format!("id,phone,note\n{rows}")).expect("input");
    (
        dir.join("p.toml").display().to_string(),
        dir.join("in.csv").display().to_string(),
    )
}

#[test]
fn encrypted_ids_stay_valid_and_reidentify_restores_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (policy, input) = fpe_setup(
        dir.path(),
        "fail",
        "11010519491231002X,13812345678,a\n33010619900101123X,13987654321,b\n",
    );
    let (out, back) = (dir.path().join("out.parquet"), dir.path().join("back.csv"));
    ok(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&out),
    ]);
    let clear = dir.path().join("out.csv");
    ok(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&clear),
    ]);
    let enc = csv_rows(&clear);
    for id in column(&enc, "id") {
        assert!(
            pubdata_detect::checks::resident_id_checksum_ok(id.as_bytes()),
            "{id} is not a valid ID"
        );
        assert!(id != "11010519491231002X" && id != "33010619900101123X");
    }
    ok(&[
        "reidentify",
        "--policy",
        &policy,
        "--in",
        s(&out),
        "--out",
        s(&back),
    ]);
    assert_eq!(csv_rows(&back), csv_rows(Path::new(&input)));
}

#[test]
fn invalid_values_never_leave_in_the_clear() {
    let rows = "11010519491231002X,13812345678,a\n110105194912310021,13812345678,b\n";
    // fail: one line naming row and column, and no output file.
    let dir = tempfile::tempdir().expect("tempdir");
    let (policy, input) = fpe_setup(dir.path(), "fail", rows);
    let out = dir.path().join("out.csv");
    let err = fails(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&out),
    ]);
    assert!(err.contains("row 2") && err.contains("\"id\""), "{err}");
    assert!(
        !err.contains("110105194912310021"),
        "the error leaks the value: {err}"
    );
    assert!(!out.exists(), "a failed run leaves no output");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        3,
        "no temporary file is left"
    );

    // null: the bad ID becomes empty, the row stays.
    let (policy, input) = fpe_setup(dir.path(), "null", rows);
    ok(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&out),
    ]);
    let written = csv_rows(&out);
    assert_eq!(column(&written, "id")[1], "");
    assert_eq!(column(&written, "note"), ["a", "b"]);

    // suppress_row: the row is gone.
    let (policy, input) = fpe_setup(dir.path(), "suppress_row", rows);
    ok(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&out),
    ]);
    assert_eq!(column(&csv_rows(&out), "note"), ["a"]);
}

#[test]
fn bad_policies_and_missing_keys_fail_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (policy, input) = fpe_setup(dir.path(), "fail", "11010519491231002X,13812345678,a\n");
    let out = dir.path().join("out.csv");
    std::fs::remove_file(dir.path().join("k.key")).expect("remove key");
    let err = fails(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&out),
    ]);
    assert!(err.contains("k.key"), "{err}");
    ok(&["key", "new", "--out", s(&dir.path().join("k.key"))]);
    let no_note = FPE_POLICY
        .replace("ON_INVALID", "fail")
        .replace("[columns.note]\nop = \"keep\"\n", "");
    std::fs::write(&policy, no_note).expect("policy");
    let out_status = pubdata(&[
        "deid",
        "--policy",
        &policy,
        "--in",
        &input,
        "--out",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&out_status.stderr);
    assert!(
        !out_status.status.success() && err.contains("\"note\" has no rule"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn bench_deid_reports_every_run_against_the_plain_rewrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ok(&[
        "bench",
        "deid",
        "--rows",
        "300",
        "--repeat",
        "1",
        "--json",
        "--dir",
        s(dir.path()),
    ]);
    let b: Value = serde_json::from_str(&out).expect("json");
    let runs = b["end_to_end"].as_array().expect("runs");
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["ratio_to_plain"], 1.0);
    for r in runs {
        assert_eq!(r["rows"], 300, "{r}");
        assert!(r["rows_per_s"].as_f64().is_some_and(|x| x > 0.0), "{r}");
    }
    assert_eq!(b["fpe_values_per_s"].as_array().map(Vec::len), Some(6));
}

#[test]
fn region_tables_keep_encrypted_ids_in_real_districts_and_reidentify_restores_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = gen_citizens(dir.path(), 300, 11, "citizens.csv");
    ok(&["key", "new", "--out", s(&dir.path().join("k.key"))]);
    let before = csv_rows(&input);
    let table = pubdata_detect::RegionTable::gbt2260_2023();
    let code = |id: &str| id[..6].parse::<u32>().expect("digits");
    let ids = column(&before, "resident_id");
    assert!(
        ids.iter().all(|id| table.contains(code(id))),
        "generated codes are current"
    );
    for keep_birth in [false, true] {
        // Every column kept but the resident ID, which a policy must still name one by one.
        let mut policy = "version = 1\n[dataset]\nkey_file = \"k.key\"\n".to_string();
        for name in &before[0] {
            policy += &format!("[columns.{name:?}]\n");
            policy += match name.as_str() {
                "resident_id" => {
                    "op = \"encrypt_fpe\"\nformat = \"resident_id\"\nregions = \"gbt2260-2023\"\n"
                }
                _ => "op = \"keep\"\n",
            };
            if name == "resident_id" {
                policy += &format!("keep_birth = {keep_birth}\n");
            }
        }
        let p = dir.path().join("p.toml");
        std::fs::write(&p, policy).expect("policy");
        let (out, back) = (dir.path().join("out.csv"), dir.path().join("back.csv"));
        ok(&[
            "deid",
            "--policy",
            s(&p),
            "--in",
            s(&input),
            "--out",
            s(&out),
        ]);
        let encrypted = column(&csv_rows(&out), "resident_id");
        assert_eq!(encrypted.len(), ids.len());
        for (id, enc) in ids.iter().zip(&encrypted) {
            assert!(
                table.contains(code(enc)),
                "{id} -> {enc}: not a listed district"
            );
            assert_eq!(enc[..2], id[..2], "province kept");
            assert!(pubdata_detect::checks::resident_id_checksum_ok(
                enc.as_bytes()
            ));
        }
        let changed = ids.iter().zip(&encrypted).filter(|(a, b)| a != b).count();
        assert!(changed >= 299, "only {changed} of 300 IDs changed");
        ok(&[
            "reidentify",
            "--policy",
            s(&p),
            "--in",
            s(&out),
            "--out",
            s(&back),
        ]);
        let same = std::fs::read(&back).expect("back") == std::fs::read(&input).expect("input");
        assert!(same, "keep_birth = {keep_birth}: not the original file");
    }
}
