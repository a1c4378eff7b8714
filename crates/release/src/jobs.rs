//! The server's job workers: threads that take queued jobs from the metadata store, run their
//! pipeline over a dataset version, and write the output and its report as new objects under
//! `releases/<job>/`. A monitor on the server's runtime records each running job's progress and
//! heartbeat every second and passes on a cancel; a reaper fails the jobs whose heartbeat
//! stopped (their process died) and removes whatever they left.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use pubdata_platform::storage::DatasetStorage;
use pubdata_platform::store::{HEARTBEAT_STALE, Job, JobEnd, JobKind, NewRelease, Store};

use crate::{Control, Input, Output, PolicySource, ReleaseError};

/// How often a running job's progress and heartbeat are written.
const MONITOR_EVERY: Duration = Duration::from_secs(1);
/// How often dead jobs are looked for.
const REAP_EVERY: Duration = Duration::from_secs(5);
/// How long an idle worker sleeps when nobody wakes it.
const IDLE: Duration = Duration::from_secs(2);

/// The object a job's output is written to.
pub fn output_key(job_id: &str) -> String {
    format!("releases/{job_id}/data.parquet")
}

/// The object a job's report is written to.
pub fn report_key(job_id: &str) -> String {
    format!("releases/{job_id}/report.json")
}

/// What the workers share.
struct Shared {
    store: Store,
    storage: DatasetStorage,
    handle: tokio::runtime::Handle,
    wake: (Mutex<u64>, Condvar),
    stop: Arc<AtomicBool>,
}

/// The worker pool. Dropping it does not stop running jobs; [`Workers::stop`] does at their
/// next batch.
#[derive(Clone)]
pub struct Workers {
    shared: Arc<Shared>,
    _stop_when_dropped: Arc<StopGuard>,
}

/// Stops the workers once the last handle to them is gone (the server's state dropped), so that
/// no worker goes on blocking on a runtime that is shutting down.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
        self.0.wake.1.notify_all();
    }
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers").finish_non_exhaustive()
    }
}

impl Workers {
    /// Starts `count` workers (at least one) and the reaper, on the runtime of `handle`.
    pub fn start(
        store: Store,
        storage: DatasetStorage,
        count: usize,
        handle: tokio::runtime::Handle,
    ) -> Workers {
        let shared = Arc::new(Shared {
            store,
            storage,
            handle: handle.clone(),
            wake: (Mutex::new(0), Condvar::new()),
            stop: Arc::new(AtomicBool::new(false)),
        });
        for i in 0..count.max(1) {
            let shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("pubdata-job-{i}"))
                .spawn(move || work(&shared));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a job worker");
            }
        }
        let reaper = shared.clone();
        handle.spawn(async move {
            while !reaper.stop.load(Ordering::Relaxed) {
                reap(&reaper).await;
                tokio::time::sleep(REAP_EVERY).await;
            }
        });
        Workers {
            _stop_when_dropped: Arc::new(StopGuard(shared.clone())),
            shared,
        }
    }

    /// Wakes an idle worker (after a submit), so a job need not wait for the idle timeout.
    pub fn wake(&self) {
        let (lock, cv) = &self.shared.wake;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        cv.notify_one();
    }

    /// Stops the workers after their current batch; running jobs end cancelled.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.1.notify_all();
    }
}

async fn reap(shared: &Shared) {
    match shared.store.fail_dead_jobs(HEARTBEAT_STALE).await {
        Ok(ids) => {
            for id in ids {
                tracing::warn!(job = %id, "a job's process died while it ran; marked failed");
                remove_outputs(&shared.store, &shared.storage, &id).await;
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot look for dead jobs"),
    }
}

async fn remove_outputs(store: &Store, storage: &DatasetStorage, job_id: &str) {
    // A job that published before it was failed as dead (or cancelled too late) leaves a
    // release: its object is the record's and stays.
    match store.release_by_object(&output_key(job_id)).await {
        Ok(None) => {}
        Ok(Some(r)) => {
            tracing::info!(release = %r.id, "the job's output is a published release; kept");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell whether a job's output was published; kept");
            return;
        }
    }
    for key in [output_key(job_id), report_key(job_id)] {
        if let Err(e) = storage.delete(&key).await {
            tracing::debug!(key, error = %e, "nothing to remove");
        }
    }
}

fn work(shared: &Shared) {
    while !shared.stop.load(Ordering::Relaxed) {
        match shared.handle.block_on(shared.store.claim_job()) {
            Ok(Some(job)) => run(shared, job),
            Ok(None) => {
                let (lock, cv) = &shared.wake;
                let mut woken = lock.lock().unwrap_or_else(|p| p.into_inner());
                if *woken == 0 {
                    woken = cv
                        .wait_timeout(woken, IDLE)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                *woken = woken.saturating_sub(1);
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot take a job");
                std::thread::sleep(IDLE);
            }
        }
    }
}

fn run(shared: &Shared, job: Job) {
    let span = tracing::info_span!("job", id = %job.id, kind = job.kind.as_str());
    let _entered = span.enter();
    tracing::info!(entry = %job.entry_id, version = job.version, "job started");
    let progress = Arc::new(Mutex::new(("starting", 0u64)));
    let seen = progress.clone();
    let control = Control::with_progress(move |p| {
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = (p.phase, p.rows);
    });
    let done = Arc::new(AtomicBool::new(false));
    let monitor = {
        let (store, id, control, done, progress) = (
            shared.store.clone(),
            job.id.clone(),
            control.clone(),
            done.clone(),
            progress.clone(),
        );
        let stopping = shared.stop.clone();
        shared.handle.spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let (phase, rows) = *progress.lock().unwrap_or_else(|e| e.into_inner());
                match store.job_progress(&id, phase, rows as i64).await {
                    Ok(cancel) if cancel || stopping.load(Ordering::Relaxed) => control.cancel(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot record a job's progress"),
                }
                tokio::time::sleep(MONITOR_EVERY).await;
            }
        })
    };
    let result = execute(shared, &job, &control);
    done.store(true, Ordering::Relaxed);
    shared.handle.block_on(async {
        let _ = monitor.await;
    });
    let end = match result {
        Ok((output, report)) => JobEnd::Succeeded { output, report },
        Err(ReleaseError::Cancelled) => JobEnd::Cancelled,
        Err(e) => JobEnd::Failed(e.to_string()),
    };
    let succeeded = matches!(end, JobEnd::Succeeded { .. });
    // A job shorter than the monitor's period would otherwise end still "starting" with no rows.
    let (phase, rows) = *progress.lock().unwrap_or_else(|e| e.into_inner());
    let phase = if succeeded { "done" } else { phase };
    if let Err(e) = shared
        .handle
        .block_on(shared.store.job_progress(&job.id, phase, rows as i64))
    {
        tracing::warn!(error = %e, "cannot record a job's last progress");
    }
    match shared
        .handle
        .block_on(shared.store.finish_job(&job.id, &end))
    {
        Ok(true) if succeeded => tracing::info!("job succeeded"),
        Ok(true) => {
            tracing::info!(end = ?end, "job ended without output");
            shared
                .handle
                .block_on(remove_outputs(&shared.store, &shared.storage, &job.id));
        }
        // Failed as dead meanwhile (its heartbeat was missed): what it wrote is not recorded.
        Ok(false) => {
            shared
                .handle
                .block_on(remove_outputs(&shared.store, &shared.storage, &job.id))
        }
        Err(e) => tracing::error!(error = %e, "cannot record a job's end"),
    }
}

/// Runs one job's pipeline; returns its output object and its report as JSON.
fn execute(
    shared: &Shared,
    job: &Job,
    control: &Control,
) -> Result<(String, String), ReleaseError> {
    let store = &shared.store;
    let stored = shared
        .handle
        .block_on(store.policy(&job.policy_id))
        .map_err(ReleaseError::invalid)?;
    stored.fits(job.kind).map_err(ReleaseError::invalid)?;
    let version = shared
        .handle
        .block_on(crate::names::resolve_version(
            store,
            &job.entry_id,
            Some(job.version),
        ))
        .map_err(ReleaseError::invalid)?
        .ok_or_else(|| {
            ReleaseError::invalid(format!(
                "entry {} has no version {}",
                job.entry_id, job.version
            ))
        })?;
    let label = crate::names::version_name(&job.entry_id, job.version);
    let input = shared
        .handle
        .block_on(Input::version(&shared.storage, &label, &version.parts))?;
    let policy = PolicySource {
        label: format!("policy {}", stored.name),
        text: stored.text,
        base: None,
    };
    let key = output_key(&job.id);
    let output = Output::Object {
        storage: shared.storage.clone(),
        key: key.clone(),
    };
    let report = match job.kind {
        JobKind::Deid => {
            serde_json::to_string(&crate::deid::deid(&policy, &input, &output, control)?)
        }
        JobKind::Anonymize => serde_json::to_string(&crate::anonymize::anonymize(
            &policy, &input, &output, None, control,
        )?),
        JobKind::Publish => {
            let entry = shared
                .handle
                .block_on(store.entry(&job.entry_id))
                .map_err(ReleaseError::invalid)?;
            let (plan, report) = if stored.kind == JobKind::Anonymize {
                crate::publish::prepare_anonymized(&entry.entry, &policy, &input, &output, control)?
            } else {
                crate::publish::prepare(&entry.entry, &policy, &input, &output, control)?
            };
            let (input_sha256, output_sha256) = report.hashes();
            control.check()?;
            let written = shared.handle.block_on(Input::version(
                &shared.storage,
                "the release",
                std::slice::from_ref(&key),
            ))?;
            crate::publish::verify_output(&entry.entry, &written, control)?;
            let text = serde_json::to_string(&report).map_err(ReleaseError::invalid)?;
            // Recorded in the submitter's name; the store checks the rules once more against
            // the entry as it is now.
            let release = shared
                .handle
                .block_on(store.publish_release(
                    &NewRelease {
                        entry_id: job.entry_id.clone(),
                        version: job.version,
                        plan,
                        object: key.clone(),
                        rows: report.rows() as i64,
                        policy_id: Some(job.policy_id.clone()),
                        report: Some(text),
                        input_sha256,
                        output_sha256,
                    },
                    &job.submitted_by,
                ))
                .map_err(ReleaseError::invalid)?;
            let mut value = serde_json::to_value(&report).map_err(ReleaseError::invalid)?;
            value["release"] = serde_json::json!({"id": release.id, "number": release.number});
            serde_json::to_string(&value)
        }
    }
    .map_err(ReleaseError::invalid)?;
    crate::output::put_bytes(&shared.storage, &report_key(&job.id), report.as_bytes())?;
    Ok((key, report))
}
