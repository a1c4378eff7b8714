//! Password checks on a few threads of their own.
//!
//! An argon2 check takes 19 MiB and tens of milliseconds of a core. Run on the runtime's blocking
//! pool, a flood of sign-ins spreads them over many threads, and the allocator keeps a freed
//! 19 MiB block in each thread's arena: resident memory grew by hundreds of MiB that were never
//! returned. A fixed set of threads, each reusing its own block, bounds it to threads x 19 MiB.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// One check: the stored PHC string, the password, and where to send the verdict.
struct Job {
    stored: String,
    password: String,
    reply: tokio::sync::oneshot::Sender<bool>,
    /// The caller's place in the queue, given back when the check is done.
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Sends checks to the verifier threads; the threads end when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Verifier {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl Verifier {
    /// Starts `threads` verifier threads.
    pub(crate) fn start(threads: usize) -> Verifier {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("pubdata-verify-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(p) => p.into_inner().recv(),
                        };
                        let Ok(job) = job else { return };
                        // The caller hung up: its check would be work for nobody.
                        if job.reply.is_closed() {
                            continue;
                        }
                        let ok = PasswordHash::new(&job.stored)
                            .map(|h| {
                                Argon2::default()
                                    .verify_password(job.password.as_bytes(), &h)
                                    .is_ok()
                            })
                            .unwrap_or(false);
                        let _ = job.reply.send(ok);
                    }
                });
            // A thread that cannot start leaves the others the work; if none starts, the
            // receiver is dropped, sending fails and every check fails closed.
            drop(spawned);
        }
        Verifier { jobs: tx }
    }

    /// Whether `password` matches the stored hash; false when no thread is left to check.
    pub(crate) async fn check(
        &self,
        stored: String,
        password: String,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> bool {
        let (reply, verdict) = tokio::sync::oneshot::channel();
        if self
            .jobs
            .send(Job {
                stored,
                password,
                reply,
                _permit: permit,
            })
            .is_err()
        {
            return false;
        }
        verdict.await.unwrap_or(false)
    }
}
