//! `pubdata serve`, `pubdata admin create` and `pubdata audit verify` as an operator runs them.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fails, ok, pubdata, s};

fn admin_create(dir: &str, user: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "admin",
            "create",
            "--username",
            user,
            "--password-stdin",
            "--data-dir",
            dir,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_verify_passes_on_a_fresh_log_and_names_the_entry_changed_behind_its_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    let out = admin_create(d, "root.admin", "a long admin password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["audit", "verify", "--data-dir", d, "--json"])).expect("json");
    assert_eq!(json["intact"], true);
    assert_eq!(
        json["entries"], 3,
        "checkpointing started, the authority and the administrator were created"
    );
    assert_eq!(json["checkpoint"]["seq"], 3, "{json}");
    assert_eq!(json["checkpoint"]["mac_valid"], true, "{json}");

    // A second administrator with the same name is refused, in one line.
    let again = admin_create(d, "root.admin", "another long password");
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("exists") && err.lines().count() == 1, "{err}");

    sqlx::any::install_default_drivers();
    let url = pubdata_platform::store::Store::sqlite_url(&dir.path().join("metadata.db"));
    let raw = sqlx::AnyPool::connect(&url)
        .await
        .expect("open the database directly");
    sqlx::raw_sql("UPDATE audit_log SET detail = 'authority_admin?' WHERE seq = 2")
        .execute(&raw)
        .await
        .expect("tamper");
    raw.close().await;
    let err = fails(&["audit", "verify", "--data-dir", d]);
    assert!(err.contains("broken at entry 2"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_verify_fails_when_the_newest_entries_are_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    for user in ["root.admin", "second.admin"] {
        let out = admin_create(d, user, "a long admin password");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["audit", "verify", "--data-dir", d, "--json"])).expect("json");
    let top = json["entries"].as_u64().expect("entries");
    assert_eq!(
        json["checkpoint"]["seq"], top,
        "written as the command ended: {json}"
    );
    assert!(dir.path().join("audit-checkpoint.key").is_file());

    sqlx::any::install_default_drivers();
    let url = pubdata_platform::store::Store::sqlite_url(&dir.path().join("metadata.db"));
    let raw = sqlx::AnyPool::connect(&url)
        .await
        .expect("open the database directly");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DELETE FROM audit_log WHERE seq > {}",
        top - 2
    )))
    .execute(&raw)
    .await
    .expect("delete the tail");
    raw.close().await;

    let out = pubdata(&["audit", "verify", "--data-dir", d]);
    assert_eq!(out.status.code(), Some(1));
    let err = fails(&["audit", "verify", "--data-dir", d]);
    assert!(
        err.contains(&format!("entries {} to {top} are missing", top - 1))
            && err.contains(&format!("the log ends at entry {}", top - 2)),
        "{err}"
    );
    let out = pubdata(&["audit", "verify", "--data-dir", d, "--json"]);
    assert!(!out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["intact"], false, "{json}");
    let cut = &json["anchor_breaks"][0];
    assert_eq!(
        (&cut["kind"], &cut["first"], &cut["last"]),
        (&"truncated".into(), &(top - 1).into(), &top.into()),
        "{json}"
    );
    // A later command does not move the checkpoint back over the cut: it warns and leaves it.
    let out = admin_create(d, "third.admin", "a long admin password");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: the audit checkpoint is left"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fails(&["audit", "verify", "--data-dir", d]);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_verify_warns_on_a_data_folder_from_before_checkpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = pubdata_platform::store::Store::sqlite_url(&dir.path().join("metadata.db"));
    let store = pubdata_platform::store::Store::open(&url)
        .await
        .expect("store");
    pubdata_platform::demo::seed(&store).await.expect("demo");
    store.close().await;
    let out = pubdata(&["audit", "verify", "--data-dir", s(dir.path())]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("warning: no audit checkpoint"), "{err}");
    assert!(
        !dir.path().join("audit-checkpoint.key").exists(),
        "verifying starts no checkpoint"
    );
}

#[test]
fn an_administrator_works_for_the_data_authority() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    assert!(
        admin_create(d, "first", "a long admin password")
            .status
            .success()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "admin",
            "create",
            "--username",
            "x",
            "--organization",
            "Bad Code",
            "--data-dir",
            d,
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("code: 3 to 64 characters"), "{err}");
    // Without --password-stdin a password is generated and shown once.
    let out = ok(&["admin", "create", "--username", "second", "--data-dir", d]);
    assert!(out.contains("created with password "), "{out}");
    let short = admin_create(d, "third", "short");
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// Starts `pubdata serve --demo` with `extra` arguments and returns its statistics and home page.
fn serve_demo(extra: &[&str]) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "serve",
        "--demo",
        "--listen",
        &listen,
        "--data-dir",
        s(dir.path()),
    ];
    args.extend_from_slice(extra);
    let mut server = Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    let stats = loop {
        if let Some(r) = get(port, "/api/v1/stats") {
            break r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not answer"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let home = get(port, "/");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(stats.0, 200);
    let (status, page) = home.expect("home page");
    assert_eq!(status, 200);
    (serde_json::from_str(&stats.1).expect("json"), page)
}

#[test]
fn serve_demo_shows_a_working_portal() {
    let (stats, page) = serve_demo(&[]);
    assert!(stats["catalog_entries"].as_i64() >= Some(8), "{stats}");
    assert_eq!(
        stats["records_aggregated"], 335,
        "the demo's generated datasets: {stats}"
    );
    assert!(
        page.contains("公共数据平台") && page.contains("居民生活用水量"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_demo_runs_the_same_on_postgres() {
    sqlx::any::install_default_drivers();
    let base = std::env::var("PUBDATA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let Ok(admin) = sqlx::AnyPool::connect(&base).await else {
        assert!(
            std::env::var("CI").is_err(),
            "PostgreSQL at {base} does not answer under CI"
        );
        eprintln!("skipped: PostgreSQL at {base} does not answer");
        return;
    };
    let name = format!("pubdata_cli_{}", std::process::id());
    let create = format!("CREATE DATABASE {name}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&admin)
        .await
        .expect("create");
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => panic!("PUBDATA_TEST_POSTGRES needs a database path"),
    };
    let (stats, page) = tokio::task::spawn_blocking(move || serve_demo(&["--database-url", &url]))
        .await
        .expect("server run");
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&admin)
        .await
        .expect("drop");
    admin.close().await;
    assert_eq!(stats["records_aggregated"], 335, "{stats}");
    assert!(page.contains("居民生活用水量"));
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_aggregates_a_file_for_the_owners_officer_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    let (store, id) = common::demo_store_with_streets(dir.path()).await;
    store.close().await;
    let csv = dir.path().join("streets.csv");
    std::fs::write(
        &csv,
        "street_code,month,usage_m3\n330106001,2026-10-01,1200.5\n330106002,2026-10-01,oops\n",
    )
    .expect("write");

    let err = fails(&["ingest", &id, s(&csv), "--user", "health", "--data-dir", d]);
    assert!(err.contains("organization hz-water"), "{err}");
    // One rejected row of two: by default the whole file is refused, and nothing is committed;
    // the report still says which row and why, on stdout (as JSON with --json).
    let refuse = ["ingest", &id, s(&csv), "--user", "water", "--data-dir", d];
    let err = fails(&refuse);
    assert!(
        err.contains("1 of its 2 rows were rejected") && err.contains("max_rejected"),
        "{err}"
    );
    let report = String::from_utf8_lossy(&pubdata(&refuse).stdout).into_owned();
    assert!(
        report.contains("2 rows read, 1 accepted, 1 rejected")
            && report.contains("not a number [not_decimal]; first at row 2 (usage_m3)"),
        "{report}"
    );
    let json = [&refuse[..], &["--json"]].concat();
    let refused: serde_json::Value =
        serde_json::from_slice(&pubdata(&json).stdout).expect("json report");
    assert_eq!(
        (
            &refused["committed"],
            &refused["report"]["examples"][0]["row"]
        ),
        (&serde_json::json!(false), &serde_json::json!(2)),
        "{refused}"
    );
    assert!(
        !dir.path().join("datasets").join(&id).exists(),
        "a part was written"
    );
    let out = ok(&[
        "ingest",
        &id,
        s(&csv),
        "--user",
        "water",
        "--max-rejected",
        "1",
        "--data-dir",
        d,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (v["version"].as_i64(), v["rows"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["report"]["rows_rejected"], 1);
    let part = v["parts"][0].as_str().expect("part");
    assert!(dir.path().join("datasets").join(part).is_file(), "{part}");

    // A part nobody lists (an ingest that stopped before committing) is swept; listed ones stay.
    let orphan = dir
        .path()
        .join("datasets")
        .join(&id)
        .join("part-orphan.parquet");
    std::fs::write(&orphan, b"not committed").expect("orphan");
    // And what a crashed server left in the scratch folder: a spooled upload.
    let spool = dir
        .path()
        .join("incoming")
        .join("0123456789abcdef01234567.upload");
    std::fs::write(&spool, b"half an upload").expect("spool");
    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "datasets",
        "sweep",
        "--data-dir",
        d,
        "--grace-minutes",
        "0",
        "--force",
        "--dry-run",
        "--json",
    ]))
    .expect("json");
    assert_eq!(
        report["removed"],
        serde_json::json!([format!("{id}/part-orphan.parquet")])
    );
    assert_eq!(
        report["scratch_removed"],
        serde_json::json!(["0123456789abcdef01234567.upload"])
    );
    assert!(
        orphan.is_file() && spool.is_file(),
        "a dry run removes nothing"
    );
    let err = fails(&["datasets", "sweep", "--data-dir", d, "--grace-minutes", "0"]);
    assert!(
        err.contains("--force"),
        "a short grace period needs --force: {err}"
    );
    let err = fails(&["datasets", "sweep", "--data-dir", &format!("{d}/nowhere")]);
    assert!(err.contains("no platform here"), "{err}");
    ok(&[
        "datasets",
        "sweep",
        "--data-dir",
        d,
        "--grace-minutes",
        "0",
        "--force",
    ]);
    assert!(!orphan.exists() && !spool.exists());
    assert!(
        dir.path().join("datasets").join(part).is_file(),
        "{part} is listed"
    );

    // Read by a person: what is wrong in words, and where (row and item, never the value).
    let human = ok(&[
        "ingest",
        &id,
        s(&csv),
        "--user",
        "water",
        "--max-rejected",
        "1",
        "--data-dir",
        d,
    ]);
    assert!(
        human.contains("1 rejected: not a number [not_decimal]; first at row 2 (usage_m3)"),
        "{human}"
    );
    assert!(!human.contains("oops"), "{human}");

    // Another dataset location, named by URL: the part goes there.
    let lake = dir.path().join("lake");
    let lake_url = format!("file://{}", lake.display());
    let out = ok(&[
        "ingest",
        &id,
        s(&csv),
        "--user",
        "water",
        "--max-rejected",
        "1",
        "--data-dir",
        d,
        "--datasets-url",
        &lake_url,
        "--mode",
        "replace",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let part = v["parts"][0].as_str().expect("part");
    assert!(lake.join(part).is_file(), "{part} in {}", lake.display());
    let err = fails(&[
        "ingest",
        &id,
        s(&csv),
        "--user",
        "water",
        "--max-rejected",
        "1",
        "--data-dir",
        d,
        "--datasets-url",
        "gopher://x/y",
    ]);
    assert!(err.contains("gopher://x/y"), "{err}");
    let err = fails(&[
        "ingest",
        &id,
        s(&csv),
        "--user",
        "water",
        "--max-rejected",
        "1",
        "--data-dir",
        d,
        "--datasets-url",
        "memory://",
    ]);
    assert!(err.contains("keeps nothing"), "{err}");

    let json: serde_json::Value =
        serde_json::from_str(&ok(&["audit", "verify", "--data-dir", d, "--json"])).expect("json");
    assert_eq!(json["intact"], true);
}

#[test]
fn a_folder_or_database_that_holds_no_platform_is_refused_and_nothing_is_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    // An auditor's typo must not pass as "intact: 0 entries".
    let typo = dir.path().join("pubdata-typo");
    let err = fails(&["audit", "verify", "--data-dir", s(&typo)]);
    assert!(
        err.contains("no platform here") && err.contains("pubdata-typo"),
        "{err}"
    );
    assert!(!typo.exists(), "the mistyped folder was created");
    // Forgetting --data-dir: the default ./pubdata-data is not made up either.
    let csv = dir.path().join("water.csv");
    std::fs::write(
        &csv,
        "street_code,month,usage_m3\n330106001,2026-01-01,1.0\n",
    )
    .expect("csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args(["ingest", "e-anything", s(&csv), "--user", "water"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("no platform here"),
        "{err}"
    );
    assert!(
        !dir.path().join("pubdata-data").exists(),
        "./pubdata-data was created"
    );
    let err = fails(&["datasets", "sweep", "--data-dir", s(&typo)]);
    assert!(err.contains("no platform here"), "{err}");
    assert!(!typo.exists());
}

/// A zone that is not one, or a terms link a browser would run, stops `serve` before it starts,
/// naming the value (nothing is created in the data folder).
#[test]
fn serve_refuses_a_bad_time_zone_or_terms_link_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("platform");
    for (flag, value) in [
        ("--time-zone", "Mars/Olympus"),
        ("--terms-url", "javascript:alert(1)"),
    ] {
        // clap's own refusal: the value and the flag on its first line, then a pointer to --help.
        let out = pubdata(&["serve", "--data-dir", s(&data), flag, value]);
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            !out.status.success() && first.contains(value) && first.contains(flag),
            "{err}"
        );
    }
    assert!(!data.exists(), "nothing was created");
}

/// A port already in use is the first and only thing `serve` says: no "serving" line before it,
/// and no platform created.
#[test]
fn serve_on_a_taken_port_says_so_before_anything_else() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("platform");
    let out = pubdata(&["serve", "--listen", &addr, "--data-dir", s(&data)]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success() && stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("cannot serve on {addr}")) && stderr.contains("in use"),
        "{stderr}"
    );
    assert!(!data.exists(), "nothing was created");
}

/// A database that refuses the connection is said in the driver's words (not "pool timed out"
/// half a minute later).
#[test]
fn an_unreachable_database_is_named_with_its_refusal() {
    for cmd in [
        &["audit", "verify"][..],
        &["serve", "--listen", "127.0.0.1:0"][..],
    ] {
        let args = [cmd, &["--database-url", "postgres://nobody@127.0.0.1:1/x"]].concat();
        let err = fails(&args);
        assert!(
            err.to_lowercase().contains("refused") && !err.contains("timed out"),
            "{cmd:?}: {err}"
        );
    }
}
