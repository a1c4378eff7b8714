//! Stored policies and jobs on both back ends: the queue hands each job to one worker, ends are
//! recorded once and audited, cancels work in both states, and a job whose process died is
//! failed, never left running.

mod common;

use std::time::Duration;

use common::{backends, entry, finish, water};
use pubdata_platform::audit::Outcome;
use pubdata_platform::store::{
    AuditFilter, JobEnd, JobKind, JobState, NewJob, Store, StoreError, StoredEntry, StoredPolicy,
};

fn new_job(entry_id: &str, policy_id: &str) -> NewJob {
    NewJob {
        kind: JobKind::Deid,
        entry_id: entry_id.into(),
        version: 1,
        policy_id: policy_id.into(),
        owner: "hz-water".into(),
    }
}

/// The water company, one of its entries and a stored deid policy named `name`.
async fn water_entry_and_policy(s: &Store, name: &str) -> (StoredEntry, StoredPolicy) {
    s.create_organization(&water(), "admin").await.expect("org");
    let e = s
        .create_entry(&entry("居民用水量"), "admin")
        .await
        .expect("entry");
    let p = s
        .create_policy("water", name, JobKind::Deid, "version = 1\n", "hz-water")
        .await
        .expect("policy");
    (e, p)
}

#[tokio::test]
async fn a_job_goes_from_queued_to_one_worker_to_its_recorded_end() {
    for b in backends().await {
        let s = &b.store;
        let (e, p) = water_entry_and_policy(s, "mask phones").await;
        assert_eq!(p.sha256.len(), 64, "{}", b.name);
        let same_name = s
            .create_policy("water", "mask phones", JobKind::Deid, "", "hz-water")
            .await;
        assert!(
            matches!(same_name, Err(StoreError::Conflict(_))),
            "{}",
            b.name
        );

        let first = s
            .submit_job("water", &new_job(&e.id, &p.id))
            .await
            .expect("job");
        let second = s
            .submit_job("water", &new_job(&e.id, &p.id))
            .await
            .expect("job");
        assert_eq!(first.state, JobState::Queued);

        // Two workers asking at once get the two jobs, oldest first, never the same one.
        let (a, c) = tokio::join!(s.claim_job(), s.claim_job());
        let mut got = [
            a.expect("claim").expect("a job"),
            c.expect("claim").expect("a job"),
        ];
        got.sort_by(|x, y| x.created_at.cmp(&y.created_at).then(x.id.cmp(&y.id)));
        assert_ne!(got[0].id, got[1].id, "{}", b.name);
        assert!(got.iter().all(|j| j.state == JobState::Running));
        assert!(
            s.claim_job().await.expect("claim").is_none(),
            "{}: queue empty",
            b.name
        );

        assert!(
            !s.job_progress(&first.id, "de-identifying", 500)
                .await
                .expect("progress")
        );
        let seen = s.job(&first.id).await.expect("job");
        assert_eq!((seen.phase.as_str(), seen.rows), ("de-identifying", 500));

        let end = JobEnd::Succeeded {
            output: "releases/x/data.parquet".into(),
            report: r#"{"rows": 3}"#.into(),
        };
        assert!(s.finish_job(&first.id, &end).await.expect("finish"));
        // An end is recorded once: a second report of it changes nothing.
        assert!(
            !s.finish_job(&first.id, &JobEnd::Failed("late".into()))
                .await
                .expect("finish")
        );
        let done = s.job(&first.id).await.expect("job");
        assert_eq!(done.state, JobState::Succeeded, "{}", b.name);
        assert_eq!(done.report.expect("report")["rows"], 3);
        assert_eq!(done.output.as_deref(), Some("releases/x/data.parquet"));

        // A cancel of a running job is asked, and seen by the worker's next progress report.
        let asked = s.cancel_job("water", &second.id).await.expect("cancel");
        assert_eq!(asked.state, JobState::Running);
        assert!(asked.cancel_requested);
        assert!(
            s.job_progress(&second.id, "de-identifying", 1)
                .await
                .expect("progress")
        );
        assert!(
            s.finish_job(&second.id, &JobEnd::Cancelled)
                .await
                .expect("finish")
        );
        assert_eq!(
            s.job(&second.id).await.expect("job").state,
            JobState::Cancelled
        );
        assert!(matches!(
            s.cancel_job("water", &second.id).await,
            Err(StoreError::Conflict(_))
        ));

        // A queued job is cancelled at once and never handed out.
        let third = s
            .submit_job("water", &new_job(&e.id, &p.id))
            .await
            .expect("job");
        assert_eq!(
            s.cancel_job("water", &third.id)
                .await
                .expect("cancel")
                .state,
            JobState::Cancelled
        );
        assert!(s.claim_job().await.expect("claim").is_none());

        let audit = s
            .audit_entries(&AuditFilter::default())
            .await
            .expect("audit");
        let actions: Vec<&str> = audit
            .iter()
            .filter(|e| e.record.target.starts_with("job:"))
            .map(|e| e.record.action.as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "job.submit",
                "job.submit",
                "job.succeeded",
                "job.cancel",
                "job.cancelled",
                "job.submit",
                "job.cancel"
            ],
            "{}",
            b.name
        );
        assert!(audit.iter().any(|e| e.record.action == "policy.create"));
        s.verify_audit().await.expect("chain intact");
        finish(b).await;
    }
}

#[tokio::test]
async fn a_job_whose_heartbeat_stopped_is_failed_not_left_running() {
    for b in backends().await {
        let s = &b.store;
        let (e, p) = water_entry_and_policy(s, "p").await;
        let job = s
            .submit_job("water", &new_job(&e.id, &p.id))
            .await
            .expect("job");
        s.claim_job().await.expect("claim").expect("a job");
        // Fresh heartbeat: alive.
        assert!(
            s.fail_dead_jobs(Duration::from_secs(60))
                .await
                .expect("reap")
                .is_empty()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        let failed = s
            .fail_dead_jobs(Duration::from_millis(10))
            .await
            .expect("reap");
        assert_eq!(failed, std::slice::from_ref(&job.id), "{}", b.name);
        let j = s.job(&job.id).await.expect("job");
        assert_eq!(j.state, JobState::Failed);
        assert!(j.error.expect("error").contains("server stopped"));
        // The dead worker's late report of success is not recorded.
        let late = JobEnd::Succeeded {
            output: "o".into(),
            report: "{}".into(),
        };
        assert!(!s.finish_job(&job.id, &late).await.expect("finish"));
        assert_eq!(s.job(&job.id).await.expect("job").state, JobState::Failed);
        let audit = s
            .audit_entries(&AuditFilter::default())
            .await
            .expect("audit");
        assert!(audit.iter().any(|e| e.record.action == "job.failed"
            && e.record.outcome == Outcome::Failed
            && e.record.actor == "water"));
        finish(b).await;
    }
}
