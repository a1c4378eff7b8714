//! A release job whose server is killed mid-run (SIGKILL, no chance to clean up) is failed when
//! the server comes back, never left running, and leaves no release object behind.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ok, s};
use pubdata_platform::store::{JobKind, JobState, NewJob, Store};

const POLICY: &str = r#"version = 1
[dataset]
key_env = "PUBDATA_KEY"
[columns.street_code]
op = "pseudonymize"
[columns.month]
op = "keep"
[columns.usage_m3]
op = "keep"
"#;

fn serve(dir: &str, key: &str) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    Command::new(env!("CARGO_BIN_EXE_pubdata"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            dir,
            "--workers",
            "1",
        ])
        .env("PUBDATA_KEY", key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve")
}

async fn wait_for(
    store: &Store,
    id: &str,
    limit: Duration,
    done: impl Fn(&pubdata_platform::store::Job) -> bool,
) -> pubdata_platform::store::Job {
    let start = Instant::now();
    loop {
        let job = store.job(id).await.expect("job");
        if done(&job) {
            return job;
        }
        assert!(
            start.elapsed() < limit,
            "waited {limit:?}; the job is {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_killed_with_its_server_is_failed_on_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    let (store, entry) = common::demo_store_with_streets(dir.path()).await;

    // Enough rows that the job is still running a second after it starts.
    let csv = dir.path().join("streets.csv");
    let mut text = String::from("street_code,month,usage_m3\n");
    for i in 0..1_500_000u32 {
        text.push_str(&format!(
            "330106{:03},2026-10-01,{}.5\n",
            i % 1000,
            i % 9000
        ));
    }
    std::fs::write(&csv, text).expect("csv");
    ok(&[
        "ingest",
        &entry,
        s(&csv),
        "--user",
        "water",
        "--data-dir",
        d,
    ]);
    std::fs::remove_file(&csv).expect("remove csv");

    let policy = store
        .create_policy("water", "streets", JobKind::Deid, POLICY, "hz-water")
        .await
        .expect("policy");
    let job = store
        .submit_job(
            "water",
            &NewJob {
                kind: JobKind::Deid,
                entry_id: entry.clone(),
                version: 1,
                policy_id: policy.id,
                owner: "hz-water".into(),
            },
        )
        .await
        .expect("job");
    let key = pubdata_deid::keys::Key::generate().expect("key").to_hex();

    let mut server = serve(d, &key);
    // Killed as soon as a worker has taken it: the run takes about two seconds here in a debug
    // build, and this is seen within a tenth of one.
    let running = wait_for(&store, &job.id, Duration::from_secs(120), |j| {
        j.state != JobState::Queued
    })
    .await;
    assert_eq!(
        running.state,
        JobState::Running,
        "the job ended before it could be killed; give it more rows: {running:?}"
    );
    server.kill().expect("kill");
    server.wait().expect("wait");
    assert_eq!(
        store.job(&job.id).await.expect("job").state,
        JobState::Running,
        "nobody recorded the end of a killed job"
    );

    let mut restarted = serve(d, &key);
    let failed = wait_for(&store, &job.id, Duration::from_secs(60), |j| {
        j.state != JobState::Running
    })
    .await;
    let _ = restarted.kill();
    let _ = restarted.wait();
    assert_eq!(failed.state, JobState::Failed, "{failed:?}");
    assert!(failed.output.is_none());
    let releases = dir.path().join("datasets").join("releases").join(&job.id);
    let left: Vec<_> = std::fs::read_dir(&releases)
        .map(|r| r.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "release objects left: {left:?}");
    let versions = store.versions(&entry).await.expect("versions");
    assert!(
        versions
            .iter()
            .all(|v| v.parts.iter().all(|p| !p.starts_with("releases/")))
    );
    store.verify_audit().await.expect("chain intact");
    store.close().await;
}
