//! `pubdata anonymize`, `pubdata risk` and `pubdata arx-check` from the outside.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{fails, gen_citizens, ok, s};

const DIRECT: &str = r#"drop = ["person_id", "name", "resident_id", "mobile", "home_phone", "email", "address", "bank_card", "license_plate", "employer", "employer_uscc", "last_login_ip", "home_location", "remarks"]"#;

fn policy(dir: &Path, requirements: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    let text = format!(
        r#"
[anonymize]
sensitive = "diagnosis"
keep = ["annual_income"]
{DIRECT}

[[anonymize.quasi_identifiers]]
column = "gender"
hierarchy = {{ groups = [] }}

[[anonymize.quasi_identifiers]]
column = "birth_date"
hierarchy = "dates"

[[anonymize.quasi_identifiers]]
column = "postal_code"
hierarchy = {{ masking = [4, 2] }}

[anonymize.requirements]
{requirements}
"#
    );
    std::fs::write(&path, text).expect("write policy");
    path
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("output readable");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("row").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn the_release_meets_every_requirement_on_its_own_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = gen_citizens(dir.path(), 5000, 7, "citizens.csv");
    let p = policy(
        dir.path(),
        "k = 8\nl = 2\nmax_prosecutor_risk = 0.1\nmax_suppressed = 0.02",
    );
    let out = dir.path().join("out.csv");
    let html = dir.path().join("report.html");
    let json = ok(&[
        "anonymize",
        "--policy",
        s(&p),
        "--in",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&html),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    let (header, rows) = read_csv(&out);
    // Direct identifiers are gone; quasi-identifiers and the sensitive column remain.
    assert!(!header.iter().any(|h| h == "name" || h == "resident_id"));
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (g, b, pc, d) = (
        col("gender"),
        col("birth_date"),
        col("postal_code"),
        col("diagnosis"),
    );
    // Recount classes in the written file: every class has at least 10 records (the risk
    // limit 0.1 asks more than k = 8) and at least two diagnoses.
    let mut classes: HashMap<(String, String, String), Vec<String>> = HashMap::new();
    for r in &rows {
        classes
            .entry((r[g].clone(), r[b].clone(), r[pc].clone()))
            .or_default()
            .push(r[d].clone());
    }
    for (key, diagnoses) in &classes {
        assert!(
            diagnoses.len() >= 10,
            "{key:?} has {} records",
            diagnoses.len()
        );
        let mut distinct = diagnoses.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 2, "{key:?} holds one diagnosis");
    }
    let suppressed = report["suppressed"].as_u64().expect("count");
    assert_eq!(rows.len() as u64 + suppressed, 5000);
    assert!(suppressed as f64 <= 0.02 * 5000.0);
    assert_eq!(report["records_out"].as_u64(), Some(rows.len() as u64));
    let requirements = report["requirements"].as_array().expect("list");
    for r in requirements {
        assert_eq!(r["met"], true, "{r}");
    }
    // The suppression margin is in percentage points, like the limit it is read against.
    let limit = requirements
        .iter()
        .find(|r| r["name"] == "records suppressed")
        .expect("the suppression requirement");
    let margin = limit["margin"].as_f64().expect("margin");
    let expected = 2.0 - suppressed as f64 / 5000.0 * 100.0;
    assert!((margin - expected).abs() < 1e-9, "{limit}");
    assert!(
        report["risk_after"]["prosecutor"]["highest"]
            .as_f64()
            .expect("risk")
            <= 0.1
    );
    assert_eq!(
        report["risk_before"]["prosecutor"]["highest"].as_f64(),
        Some(1.0)
    );
    let page = std::fs::read_to_string(&html).expect("report written");
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
    assert!(!page.contains("<script") && !page.contains("src="));
}

#[test]
fn the_gate_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = gen_citizens(dir.path(), 500, 3, "citizens.csv");
    // 600 records per class cannot exist in 500 rows.
    let p = policy(dir.path(), "k = 600\nmax_suppressed = 0.05");
    let out = dir.path().join("out.csv");
    let html = dir.path().join("report.html");
    let err = fails(&[
        "anonymize",
        "--policy",
        s(&p),
        "--in",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&html),
    ]);
    assert!(
        err.contains("no transformation meets the requirements"),
        "{err}"
    );
    assert!(
        err.contains("k >= 600") && err.contains("nothing written"),
        "{err}"
    );
    assert!(!out.exists() && !html.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn values_missing_from_a_hierarchy_file_are_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.csv");
    std::fs::write(&input, "job,diagnosis\nnurse,a\nteacher,b\npilot,c\n").expect("write");
    std::fs::write(
        dir.path().join("jobs.csv"),
        "nurse;care;*\nteacher;school;*\n",
    )
    .expect("write");
    let p = dir.path().join("p.toml");
    std::fs::write(
        &p,
        "[anonymize]\nkeep = [\"diagnosis\"]\n[[anonymize.quasi_identifiers]]\ncolumn = \"job\"\nhierarchy = { file = \"jobs.csv\" }\n",
    )
    .expect("write");
    let out = dir.path().join("out.csv");
    let err = fails(&[
        "anonymize",
        "--policy",
        s(&p),
        "--in",
        s(&input),
        "--out",
        s(&out),
    ]);
    assert!(err.contains("job") && err.contains("\"pilot\""), "{err}");
    assert!(!err.contains("nurse"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_column_without_a_role_stops_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.csv");
    std::fs::write(&input, "age,phone\n30,13800138000\n").expect("write");
    let p = dir.path().join("p.toml");
    std::fs::write(
        &p,
        "[anonymize]\n[[anonymize.quasi_identifiers]]\ncolumn = \"age\"\nhierarchy = { intervals = [10] }\n",
    )
    .expect("write");
    let out = dir.path().join("out.csv");
    let err = fails(&[
        "anonymize",
        "--policy",
        s(&p),
        "--in",
        s(&input),
        "--out",
        s(&out),
    ]);
    assert!(err.contains("phone") && err.contains("no role"), "{err}");
    assert!(!out.exists());
}

#[test]
fn policy_mistakes_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.csv");
    std::fs::write(&input, "gender\n男\n女\n").expect("write");
    let p = dir.path().join("p.toml");
    std::fs::write(
        &p,
        "[anonymize]\n[[anonymize.quasi_identifiers]]\ncolumn = \"gender\"\nhierarchy = \"weeks\"\n",
    )
    .expect("write");
    let out = dir.path().join("out.csv");
    let err = fails(&[
        "anonymize",
        "--policy",
        s(&p),
        "--in",
        s(&input),
        "--out",
        s(&out),
    ]);
    assert!(err.contains("p.toml") && err.contains("weeks"), "{err}");
}

#[test]
fn risk_reports_the_three_attackers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.csv");
    // Classes by (zip, sex): (1,m) x3, (1,f) x1, (2,m) x2.
    std::fs::write(
        &input,
        "zip,sex,dx\n1,m,a\n1,m,b\n1,m,a\n1,f,c\n2,m,d\n2,m,d\n",
    )
    .expect("write");
    let json = ok(&[
        "risk",
        s(&input),
        "--qi",
        "zip,sex",
        "--sensitive",
        "dx",
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(r["records"], 6);
    assert_eq!(r["classes"], 3);
    assert_eq!(r["prosecutor"]["highest"], 1.0);
    assert!((r["prosecutor"]["average"].as_f64().expect("f64") - 0.5).abs() < 1e-12);
    assert!((r["marketer"].as_f64().expect("f64") - 0.5).abs() < 1e-12);
    assert_eq!(r["sample_uniques"], 1);
    // (1,f) and (2,m) each hold one diagnosis: 3 records open to attribute disclosure.
    assert_eq!(r["sensitive"]["fewest_distinct"], 1);
    assert_eq!(r["sensitive"]["records_in_homogeneous_classes"], 3);
    let text = ok(&["risk", s(&input), "--qi", "zip,sex"]);
    assert!(
        text.contains("prosecutor") && text.contains("journalist") && text.contains("marketer")
    );
    let err = fails(&["risk", s(&input), "--qi", "zip,age"]);
    assert!(err.contains("\"age\""), "{err}");
}

fn arx_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/arx");
    if dir.join("cases.json").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").is_err(),
        "../shared/data/arx is missing under CI"
    );
    eprintln!("skipped: {} is missing", dir.display());
    None
}

#[test]
fn arx_check_passes_good_cases_and_fails_wrong_ones() {
    let Some(arx) = arx_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(arx.join("cases.json")).expect("read"))
            .expect("cases");
    let pick: Vec<serde_json::Value> = all
        .iter()
        .filter(|c| c["id"] == "Loss-adult-k5-s0.0" || c["id"] == "TCloseness-adult-76")
        .cloned()
        .collect();
    assert_eq!(pick.len(), 2);
    let good = dir.path().join("good.json");
    std::fs::write(&good, serde_json::to_string(&pick).expect("json")).expect("write");
    let out = ok(&["arx-check", "--cases", s(&good), "--data", s(&arx)]);
    assert!(
        out.contains("pass Loss-adult-k5-s0.0") && out.contains("2 of 2 cases pass"),
        "{out}"
    );
    let mut wrong = pick.clone();
    for c in wrong.iter_mut().filter(|c| c["id"] == "Loss-adult-k5-s0.0") {
        c["expected_transformation"] = serde_json::json!([0, 0, 0, 0, 0, 0, 0, 0, 0]);
        c["expected_information_loss"] = serde_json::json!("0.1");
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&wrong).expect("json")).expect("write");
    let out = common::pubdata(&["arx-check", "--cases", s(&bad), "--data", s(&arx)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL Loss-adult-k5-s0.0"), "{stdout}");
    assert!(stdout.contains("pass TCloseness-adult-76"), "{stdout}");
}
