//! The `pubdata` binary as a user runs it: generate, scan, and fail clearly on bad input.

mod common;

use std::path::PathBuf;

use common::{fails, gen_citizens, ok, pubdata, s};
use serde_json::Value;

fn scan_json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("scan --json prints JSON")
}

fn column<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["columns"]
        .as_array()
        .expect("columns array")
        .iter()
        .find(|c| c["name"] == name)
        .expect("column present")
}

#[test]
fn scan_finds_every_generated_type_and_role() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = gen_citizens(dir.path(), 3000, 1, "citizens.csv");
    let truth: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("citizens.csv.truth.json")).expect("truth"),
    )
    .expect("json");
    let report = scan_json(&["scan", s(&csv), "--json"]);
    assert_eq!(report["rows"], 3000);
    for col in truth["columns"].as_array().expect("columns") {
        let name = col["name"].as_str().expect("name");
        let found = column(&report, name);
        if col["role"] == "free_text" {
            assert_eq!(found["type"], "free_text", "{name}");
            assert_eq!(found["role"], "direct_identifier", "{name}");
            continue;
        }
        assert_eq!(found["type"], col["type"], "type of {name}: {found}");
        assert_eq!(found["role"], col["role"], "role of {name}: {found}");
        if !col["type"].is_null() {
            assert!(
                found["match_ratio"].as_f64().expect("ratio") > 0.99,
                "{name}: {found}"
            );
        }
    }
}

#[test]
fn same_seed_same_file_other_seed_other_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = std::fs::read(gen_citizens(dir.path(), 500, 9, "a.csv")).expect("a");
    let b = std::fs::read(gen_citizens(dir.path(), 500, 9, "b.csv")).expect("b");
    let c = std::fs::read(gen_citizens(dir.path(), 500, 10, "c.csv")).expect("c");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn spans_in_remarks_are_listed_with_character_offsets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = gen_citizens(dir.path(), 200, 2, "c.csv");
    let report = scan_json(&["scan", s(&csv), "--json", "--spans"]);
    let remarks = column(&report, "remarks");
    let spans = remarks["spans"].as_array().expect("spans listed");
    assert!(
        spans.len() > 200,
        "most remarks hold two or more spans, got {}",
        spans.len()
    );
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("c.csv.truth.json")).expect("truth"))
            .expect("json");
    let first = &truth["spans"][0];
    assert!(
        spans.iter().any(|s| s["row"] == first["row"]
            && s["start"] == first["start"]
            && s["end"] == first["end"]
            && s["type"] == first["type"]),
        "truth span {first} not found"
    );
    assert!(
        remarks["counts"]["person_name"]
            .as_u64()
            .expect("names counted")
            > 100
    );
    let human = ok(&["scan", s(&csv), "--spans"]);
    assert!(human.contains("spans in remarks:"));
}

#[test]
fn policy_out_writes_a_policy_for_every_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = gen_citizens(dir.path(), 300, 3, "c.csv");
    let policy = dir.path().join("policy.toml");
    ok(&["scan", s(&csv), "--policy-out", s(&policy)]);
    let text = std::fs::read_to_string(&policy).expect("policy written");
    let parsed: toml::Table = text.parse().expect("valid TOML");
    let columns = parsed["columns"].as_table().expect("columns table");
    assert_eq!(columns.len(), 19);
    assert_eq!(columns["resident_id"]["op"].as_str(), Some("pseudonymize"));
    assert_eq!(columns["mobile"]["op"].as_str(), Some("mask"));
    assert_eq!(columns["remarks"]["op"].as_str(), Some("redact"));
    assert_eq!(columns["diagnosis"]["op"].as_str(), Some("keep"));
    assert_eq!(parsed["dataset"]["on_invalid"].as_str(), Some("fail"));
    assert!(!text.contains("key ="), "a policy never holds a key");
}

#[test]
fn suggested_policy_passes_policy_check_and_broken_ones_fail_with_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = gen_citizens(dir.path(), 200, 6, "c.csv");
    let policy = dir.path().join("policy.toml");
    ok(&["scan", s(&csv), "--policy-out", s(&policy)]);
    // As the README's walk-through does: a key file beside the policy (the check loads it).
    ok(&["key", "new", "--out", s(&dir.path().join("release.key"))]);
    let keyed = std::fs::read_to_string(&policy)
        .expect("policy")
        .replace("key_env = \"PUBDATA_KEY\"", "key_file = \"release.key\"");
    std::fs::write(&policy, keyed).expect("write");
    let report: Value = serde_json::from_str(&ok(&[
        "policy",
        "check",
        s(&policy),
        "--in",
        s(&csv),
        "--json",
    ]))
    .expect("json");
    assert_eq!(report["ok"], true, "{report}");
    // Read as a person reads it: the whole report, verdict included, on stdout (issue 15).
    let human = ok(&["policy", "check", s(&policy), "--in", s(&csv)]);
    let lines: Vec<&str> = human.lines().collect();
    assert!(
        lines.len() == 2
            && lines[0].contains("policy.toml for ")
            && lines[1].starts_with("valid: "),
        "{human}"
    );

    // A forgotten column must not pass through in the clear: dropping the remarks rule fails.
    let text = std::fs::read_to_string(&policy).expect("policy");
    let cut = text.find("[columns.\"remarks\"]").expect("remarks rule");
    let forgotten = dir.path().join("forgotten.toml");
    std::fs::write(&forgotten, &text[..cut]).expect("write");
    let out = pubdata(&["policy", "check", s(&forgotten), "--in", s(&csv)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"remarks\" has no rule") && stdout.ends_with("1 problem(s)\n"),
        "{stdout}"
    );

    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, text.replacen("keep_first = 3", "keep_frst = 3", 1)).expect("write");
    let out = pubdata(&["policy", "check", s(&typo), "--in", s(&csv)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .position(|l| l == "[columns.\"mobile\"]")
        .expect("mobile rule")
        + 1;
    assert!(
        stdout.contains(&format!(
            "typo.toml:{line}: column \"mobile\": mask takes no parameter \"keep_frst\""
        )),
        "{stdout}"
    );
}

#[test]
fn key_new_writes_an_owner_only_256_bit_key_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("release.key");
    ok(&["key", "new", "--out", s(&path)]);
    let meta = std::fs::metadata(&path).expect("key written");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let first = std::fs::read_to_string(&path).expect("key");
    assert_eq!(first.trim().len(), 64, "256 bits in hex");
    assert!(fails(&["key", "new", "--out", s(&path)]).contains("exists"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("key"),
        first,
        "an existing key is untouched"
    );
    let other = dir.path().join("other.key");
    ok(&["key", "new", "--out", s(&other)]);
    assert_ne!(std::fs::read_to_string(&other).expect("key"), first);
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        2,
        "no temporary files left"
    );
}

#[test]
fn sample_looks_at_the_first_rows_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = gen_citizens(dir.path(), 1000, 4, "c.parquet");
    let report = scan_json(&[
        "scan",
        s(&csv),
        "--json",
        "--sample",
        "100",
        "--batch-size",
        "64",
    ]);
    assert_eq!(report["rows"], 100);
    assert_eq!(report["sampled"], true);
    assert_eq!(column(&report, "resident_id")["type"], "cn_resident_id");
}

#[test]
fn gbk_csv_is_detected_and_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "姓名,手机号,身份证号,备注\n张伟,13812345678,11010519491231002X,无\n李娜,13987654321,11010519491231002X,已办结\n王芳,15012345678,11010519491231002X,已回访\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    let path = dir.path().join("gbk.csv");
    std::fs::write(&path, &bytes).expect("write");
    let report = scan_json(&["scan", s(&path), "--json"]);
    assert_eq!(column(&report, "姓名")["type"], "person_name");
    assert_eq!(column(&report, "手机号")["type"], "cn_mobile");
    assert_eq!(column(&report, "身份证号")["type"], "cn_resident_id");
}

/// The national division table beside the project, or `None` (skip) outside CI.
fn shared_areas() -> Option<PathBuf> {
    let path = PathBuf::from("../../../shared/data/regions/areas.csv");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing under CI",
        path.display()
    );
    eprintln!("skipping: {} not found", path.display());
    None
}

#[test]
fn retired_region_codes_are_valid_ids_and_reported() {
    let Some(areas) = shared_areas() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ids.csv");
    // 330103 (the old Xiacheng district of Hangzhou) was merged away in 2021; 330106 is current.
    std::fs::write(
        &path,
        "id\n330103198001010014\n330106198001010021\n330106198512310050\n",
    )
    .expect("write");
    let report = scan_json(&["scan", s(&path), "--json", "--regions", s(&areas)]);
    let col = column(&report, "id");
    assert_eq!(col["type"], "cn_resident_id");
    assert_eq!(col["match_ratio"], 1.0);
    assert_eq!(col["region_current"], 2);
    assert!(
        col["reason"]
            .as_str()
            .expect("reason")
            .contains("1 a retired one"),
        "{col}"
    );
    let without = scan_json(&["scan", s(&path), "--json"]);
    assert!(column(&without, "id").get("region_current").is_none());
}

#[test]
fn regions_table_is_checked_when_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("regions.csv");
    std::fs::write(&bad, "code,name,cityCode,provinceCode\nnot-a-code,x,1,1\n").expect("write");
    let csv = gen_citizens(dir.path(), 50, 5, "c.csv");
    let err = fails(&["scan", s(&csv), "--regions", s(&bad)]);
    assert!(err.contains("regions.csv"), "{err}");
}

#[test]
fn bad_input_gets_one_clear_line_and_a_failure_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.csv");
    let err = fails(&["scan", s(&missing)]);
    assert!(err.contains("missing.csv"), "{err}");
    // The operating system's reason once, not once from the library and again as its cause.
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").expect("write");
    assert!(fails(&["scan", s(&empty)]).contains("empty.csv"));

    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, "a,b,c\n1,2,3\n4,5\n").expect("write");
    let err = fails(&["scan", s(&ragged)]);
    assert!(
        err.contains("ragged.csv") && err.contains("line 3"),
        "{err}"
    );

    let undecodable = dir.path().join("bytes.csv");
    std::fs::write(
        &undecodable,
        b"name,phone\n\xe5\xbc\xa0\xe4\xbc\x9f,1\n\xff\xfe\xfd,2\n",
    )
    .expect("write");
    assert!(fails(&["scan", s(&undecodable), "--encoding", "utf8"]).contains("bytes.csv"));

    let parquet = dir.path().join("corrupt.parquet");
    std::fs::write(&parquet, b"PAR1 this is not parquet at all").expect("write");
    assert!(fails(&["scan", s(&parquet)]).contains("corrupt.parquet"));

    let xlsx = dir.path().join("corrupt.xlsx");
    std::fs::write(&xlsx, b"PK\x03\x04 definitely not a workbook").expect("write");
    assert!(fails(&["scan", s(&xlsx)]).contains("corrupt.xlsx"));

    let unknown = dir.path().join("table.doc");
    std::fs::write(&unknown, b"x").expect("write");
    assert!(fails(&["scan", s(&unknown)]).contains("table.doc"));
}

#[test]
fn failed_generation_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("no-such-dir").join("c.csv");
    fails(&["gen", "citizens", "--rows", "10", "--out", s(&out)]);
    assert!(!out.exists());
    let bad_ext = dir.path().join("c.doc");
    fails(&["gen", "citizens", "--rows", "10", "--out", s(&bad_ext)]);
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing half-written"
    );
}

#[test]
fn every_subcommand_has_help_and_the_binary_a_version() {
    assert!(ok(&["--version"]).starts_with("pubdata "));
    for args in [
        vec!["scan"],
        vec!["gen"],
        vec!["gen", "citizens"],
        vec!["bench"],
        vec!["bench", "scan"],
    ] {
        let mut a = args.clone();
        a.push("--help");
        assert!(ok(&a).contains("Usage"), "{args:?}");
    }
}

#[test]
fn bench_scan_reports_throughput_and_accuracy() {
    let report: Value =
        serde_json::from_str(&ok(&["bench", "scan", "--rows", "2000", "--json"])).expect("json");
    assert!(report["structured"]["mb_per_s"].as_f64().expect("figure") > 0.0);
    assert!(report["free_text"]["rows_per_s"].as_f64().expect("figure") > 0.0);
    let recall = report["structured_accuracy"]["cn_resident_id"]["recall"]
        .as_f64()
        .expect("recall");
    assert!(recall > 0.99, "{recall}");
}

/// `policy check` resolves what `deid` will load (issue 15): a check that passes means `deid`
/// starts. Without the key, with a key a digit short, or with a missing hierarchy file, it fails
/// naming what is wrong; with the key, it passes.
#[test]
fn policy_check_loads_the_key_and_the_files_the_policy_names() {
    let dir = tempfile::tempdir().expect("dir");
    let input = common::gen_citizens(dir.path(), 30, 11, "c.csv");
    let policy = dir.path().join("p.toml");
    common::ok(&[
        "scan",
        common::s(&input),
        "--policy-out",
        common::s(&policy),
    ]);
    let text = std::fs::read_to_string(&policy).expect("policy");
    assert!(text.contains("key_env = \"PUBDATA_KEY\""), "{text}");
    let check = |key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pubdata"));
        cmd.args([
            "policy",
            "check",
            common::s(&policy),
            "--in",
            common::s(&input),
        ]);
        cmd.env_remove("PUBDATA_KEY");
        if let Some(k) = key {
            cmd.env("PUBDATA_KEY", k);
        }
        let out = cmd.output().expect("runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (passed, text) = check(None);
    assert!(!passed && text.contains("PUBDATA_KEY"), "{text}");
    // Named once: "p.toml: cannot load the key", not "p.toml: p.toml: ...".
    assert!(!text.contains("p.toml: p.toml"), "{text}");
    let (passed, text) = check(Some(&"ab".repeat(16)[1..]));
    assert!(
        !passed && text.contains("odd number of hex digits"),
        "{text}"
    );
    let (passed, text) = check(Some(&"ab".repeat(16)));
    assert!(passed, "{text}");
    // A hierarchy file that is not there.
    let with_hierarchy = text_with_hierarchy(&std::fs::read_to_string(&policy).expect("policy"));
    std::fs::write(&policy, with_hierarchy).expect("write");
    let (passed, text) = check(Some(&"ab".repeat(16)));
    assert!(!passed && text.contains("no-such-hierarchy.csv"), "{text}");
}

/// The policy with its `gender` rule generalized through a hierarchy file that does not exist.
fn text_with_hierarchy(policy: &str) -> String {
    let kept = "[columns.\"gender\"]\nop = \"keep\"";
    assert!(policy.contains(kept), "{policy}");
    policy.replace(
        kept,
        "[columns.\"gender\"]\nop = \"generalize\"\nhierarchy = \"no-such-hierarchy.csv\"\nlevel = 1",
    )
}
